export { createTailConnector, lineHash, tailCursorOf, type Decoded, type LineDecoder, type TailConnectorOptions } from "./connector.js";
export { TailCursor, TailSettings, TailSettingsShape, cursorFrom, initialCursor, readPage, rotatedCandidates, type Rejection, type TailLine, type TailPage } from "./tail.js";
export { SeverityOrIgnore, severityTable } from "./fields.js";
