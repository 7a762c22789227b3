import type { ActionConnector } from "../types.js";
import type { ConnectorKind } from "../registry-types.js";
import { DEFENDER_ACTIONS, executeDefender, pollDefender, reconcileDefender } from "./actions.js";
import { DefenderActionSettings, createDefenderClient } from "./client.js";

export { DefenderActionSettings, createDefenderClient } from "./client.js";
export { DEFENDER_ACTIONS } from "./actions.js";

export function createDefenderConnector(settings: DefenderActionSettings, deps: { redact: (text: string) => string; send?: typeof fetch }): ActionConnector {
  const client = createDefenderClient(settings, deps);
  return {
    name: settings.name,
    kind: "defender",
    actions: DEFENDER_ACTIONS,
    execute: (call, ctx) => executeDefender(client, call, ctx),
    reconcile: (call, ctx) => reconcileDefender(client, call, ctx),
    poll: (call, ctx) => pollDefender(client, call, ctx),
  };
}

export const kind: ConnectorKind<typeof DefenderActionSettings> = { settings: DefenderActionSettings, create: (settings, deps) => createDefenderConnector(settings, deps) };
