import type { ConnectorKind } from "../registry.js";
import { SuricataSettings, createSuricataConnector } from "./client.js";

export { SuricataSettings, createSuricataConnector } from "./client.js";
export { DEFAULT_SURICATA_SEVERITIES, decodeEveLine } from "./mapping.js";

/** The `suricata` connector kind: tails an EVE JSON file (rotation-safe). */
export const kind: ConnectorKind<typeof SuricataSettings> = {
  settings: SuricataSettings,
  create: (settings) => createSuricataConnector(settings),
};
