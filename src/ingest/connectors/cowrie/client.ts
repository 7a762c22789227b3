import { z } from "zod";
import { commonSettings } from "../common.js";
import { createTailConnector } from "../tail/connector.js";
import { severityTable } from "../tail/fields.js";
import { TailSettingsShape } from "../tail/tail.js";
import type { Connector } from "../types.js";
import { DEFAULT_COWRIE_SEVERITIES, decodeCowrie, initialCowrieState, type CowrieMappingOptions, type CowrieState } from "./mapping.js";

/** Settings of one Cowrie honeypot connector (tails var/log/cowrie/cowrie.json). */
export const CowrieSettings = z.strictObject({
  ...commonSettings("cowrie", { interval_seconds: 10 }),
  ...TailSettingsShape,
  /** The honeypot's host name for records without `sensor`. */
  sensor: z.string().min(1).optional(),
  /** eventid → severity, merged over the defaults; an eventid not in the table (or `ignore`) is not an alert. */
  severity: severityTable(DEFAULT_COWRIE_SEVERITIES),
});
export type CowrieSettings = z.output<typeof CowrieSettings>;

export function mappingOptions(settings: CowrieSettings): CowrieMappingOptions {
  return { severities: settings.severity, sensor: settings.sensor };
}

export function createCowrieConnector(settings: CowrieSettings): Connector {
  const options = mappingOptions(settings);
  return createTailConnector<CowrieState>({
    name: settings.name,
    kind: "cowrie",
    intervalSeconds: settings.interval_seconds,
    tail: settings,
    decoder: { initial: initialCowrieState, decode: (line, state) => decodeCowrie(line, state, options) },
  });
}
