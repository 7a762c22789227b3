import type { ConnectorKind } from "../registry-types.js";
import type { ActionConnector } from "../types.js";
import { ENTRA_ACTIONS, executeEntra, pollEntra, reconcileEntra } from "./actions.js";
import { EntraSettings, createGraphClient } from "./client.js";

export { EntraSettings, createGraphClient } from "./client.js";
export { ENTRA_ACTIONS, PASSWORD_METHOD_ID } from "./actions.js";

export function createEntraConnector(settings: EntraSettings, deps: { redact: (text: string) => string; send?: typeof fetch }): ActionConnector {
  const client = createGraphClient(settings, deps);
  return {
    name: settings.name,
    kind: "entra",
    actions: ENTRA_ACTIONS,
    execute: (call, ctx) => executeEntra(client, call, ctx),
    reconcile: (call, ctx) => reconcileEntra(client, call, ctx),
    poll: (call, ctx) => pollEntra(client, call, ctx),
  };
}

export const kind: ConnectorKind<typeof EntraSettings> = { settings: EntraSettings, create: (settings, deps) => createEntraConnector(settings, deps) };
