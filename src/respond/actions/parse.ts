import { ValidationError, issuesOf } from "../../core/index.js";
import { ACTIONS, ActionName } from "./catalogue.js";

export interface ActionRequest {
  action: ActionName;
  /** The arguments as the action's schema normalised them (defaults filled, values trimmed). */
  args: Record<string, unknown>;
}

/** Validates an action name and its arguments; a ValidationError names each bad field (`action`, `args.host`…). */
export function parseAction(action: unknown, args: unknown): ActionRequest {
  const name = ActionName.safeParse(action);
  if (!name.success) throw new ValidationError("invalid action", issuesOf(name.error, "action"));
  const parsed = ACTIONS[name.data].args.safeParse(args ?? {});
  if (!parsed.success) throw new ValidationError(`invalid arguments for ${name.data}`, issuesOf(parsed.error, "args"));
  return { action: name.data, args: parsed.data as Record<string, unknown> };
}

/** VERA's `action_hint` (crew.md) → the catalogue's action; null for hints no connector carries out. */
export const HINT_ACTIONS: Record<string, ActionName | null> = {
  isolate_host: "isolate_host",
  disable_account: "disable_account",
  block_ioc: "block_indicator",
  reset_credentials: "reset_credentials",
  revoke_tokens: "revoke_sessions",
  quarantine_file: "quarantine_file",
  patch_vulnerability: null,
  other: null,
};
