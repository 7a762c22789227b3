import { z } from "zod";
import { commonSettings } from "../common.js";
import { createTailConnector } from "../tail/connector.js";
import { severityTable } from "../tail/fields.js";
import { TailSettingsShape } from "../tail/tail.js";
import type { Connector } from "../types.js";
import { DEFAULT_ZEEK_SEVERITIES, ZEEK_LOGS, decodeZeekLine, initialHeader, type ZeekHeader, type ZeekMappingOptions } from "./mapping.js";

/** Settings of one Zeek connector: one log file (notice.log, intel.log or weird.log), TSV or JSON. */
export const ZeekSettings = z.strictObject({
  ...commonSettings("zeek", { interval_seconds: 10 }),
  ...TailSettingsShape,
  /** Which log the file holds; `auto` reads the TSV `#path` header, a JSON `_path`, or the record's keys. */
  log: z.enum([...ZEEK_LOGS, "auto"]).default("auto"),
  /** weird.log records become alerts only when true. */
  weird: z.boolean().default(false),
  /** The sensor's host name when a record names no node (peer_descr, seen.node, peer). */
  sensor: z.string().min(1).optional(),
  /** Notice type, intel indicator type, weird name, or log name → severity (merged over the defaults); `ignore` drops. */
  severity: severityTable(DEFAULT_ZEEK_SEVERITIES),
});
export type ZeekSettings = z.output<typeof ZeekSettings>;

export function mappingOptions(settings: ZeekSettings): ZeekMappingOptions {
  return { severities: settings.severity, log: settings.log, weird: settings.weird || settings.log === "weird", sensor: settings.sensor };
}

export function createZeekConnector(settings: ZeekSettings): Connector {
  const options = mappingOptions(settings);
  return createTailConnector<ZeekHeader>({
    name: settings.name,
    kind: "zeek",
    intervalSeconds: settings.interval_seconds,
    tail: settings,
    decoder: { initial: initialHeader, decode: (line, header) => decodeZeekLine(line, header, options), preamble: /^#/ },
  });
}
