import type { ConnectorKind } from "../registry-types.js";
import type { ActionConnector } from "../types.js";
import { recordOnly } from "./actions.js";
import { RECORD_ONLY_NAME, RecordOnlySettings } from "./client.js";

export { RECORD_ONLY_NAME, RecordOnlySettings } from "./client.js";

export function createRecordOnlyConnector(settings: Pick<RecordOnlySettings, "name" | "actions"> = RecordOnlySettings.parse({ name: RECORD_ONLY_NAME, kind: "record_only" })): ActionConnector {
  return {
    name: settings.name,
    kind: "record_only",
    actions: settings.actions,
    execute: async (call) => recordOnly(call),
    // Recording again has no effect outside Nightshift.
    reconcile: async () => null,
  };
}

export const kind: ConnectorKind<typeof RecordOnlySettings> = { settings: RecordOnlySettings, create: (settings) => createRecordOnlyConnector(settings) };
