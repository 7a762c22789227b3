import { z } from "zod";
import { commonSettings } from "../common.js";
import { createTailConnector } from "../tail/connector.js";
import { SeverityOrIgnore, severityTable } from "../tail/fields.js";
import { TailSettingsShape } from "../tail/tail.js";
import type { Connector } from "../types.js";
import { DEFAULT_SURICATA_SEVERITIES, decodeEveLine, type SuricataMappingOptions } from "./mapping.js";

/** Settings of one Suricata connector (an entry of `connectors.sources` with `kind: suricata`). */
export const SuricataSettings = z.strictObject({
  ...commonSettings("suricata", { interval_seconds: 10 }),
  ...TailSettingsShape,
  /** The sensor's host name for records without `host` (Suricata writes it when `sensor-name` is set). */
  sensor: z.string().min(1).optional(),
  /** EVE event types that become alerts besides `alert`: `anomaly` (decoder and stream anomalies). */
  event_types: z.array(z.enum(["alert", "anomaly"])).default(["alert"]),
  /** alert.severity → Nightshift severity (merged over 1 high, 2 medium, 3 low, 4 informational); `ignore` drops. */
  severity: severityTable(DEFAULT_SURICATA_SEVERITIES),
  anomaly_severity: SeverityOrIgnore.default("low"),
});
export type SuricataSettings = z.output<typeof SuricataSettings>;

export function mappingOptions(settings: SuricataSettings): SuricataMappingOptions {
  return { severities: settings.severity, eventTypes: settings.event_types, anomalySeverity: settings.anomaly_severity, sensor: settings.sensor };
}

export function createSuricataConnector(settings: SuricataSettings): Connector {
  const options = mappingOptions(settings);
  return createTailConnector({
    name: settings.name,
    kind: "suricata",
    intervalSeconds: settings.interval_seconds,
    tail: settings,
    decoder: { initial: () => null, decode: (line) => ({ result: decodeEveLine(line, options), state: null }) },
  });
}
