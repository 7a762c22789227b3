import type { ConnectorKind } from "../registry.js";
import { ZeekSettings, createZeekConnector } from "./client.js";

export { ZeekSettings, createZeekConnector } from "./client.js";
export { DEFAULT_ZEEK_SEVERITIES, decodeZeekLine, initialHeader, parseTsvLine, type ZeekHeader } from "./mapping.js";

/** The `zeek` connector kind: tails notice.log / intel.log / weird.log, TSV or JSON (rotation-safe). */
export const kind: ConnectorKind<typeof ZeekSettings> = {
  settings: ZeekSettings,
  create: (settings) => createZeekConnector(settings),
};
