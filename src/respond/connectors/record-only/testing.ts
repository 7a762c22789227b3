import { createRecordOnlyConnector } from "./index.js";

/** Record-only talks to no server: its loopback is the connector itself. */
export const testRecordOnly = () => createRecordOnlyConnector();
