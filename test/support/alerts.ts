export { insertAlertRow, type AlertRowOptions } from "../../src/ingest/testing.js";
