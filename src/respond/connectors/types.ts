import type { Clock } from "../../core/index.js";
import type { ActionName } from "../actions/index.js";

export interface ConnectorContext {
  clock: Clock;
  /** Waits between attempts (Retry-After, backoff); tests record instead of waiting. */
  sleep: (ms: number) => Promise<void>;
}

/** One execution attempt of a stored, approved action. */
export interface ConnectorCall {
  actionId: string;
  action: ActionName;
  args: Record<string, unknown>;
  caseId: string | null;
  /** Stable across attempts; sent where the vendor takes one, and written into the vendor's comment otherwise. */
  idempotencyKey: string;
  /** When the first attempt started (an earlier attempt's effect is looked for after it). */
  startedAt: string;
  /** The vendor's reference recorded by an earlier attempt (a machine action id, an indicator id). */
  remoteRef: string | null;
  /** For a rollback: the outcome detail of the action it undoes (e.g. the indicator id to delete). */
  rollbackOf: { remoteRef: string | null; detail: Record<string, unknown> } | null;
}

export interface ConnectorResult {
  status: "succeeded" | "failed" | "in_progress" | "awaiting_confirmation";
  /** What was done, in a sentence, for the case and the journal. */
  action_taken: string;
  remote_ref: string | null;
  error?: string | null;
  detail?: Record<string, unknown>;
}

/**
 * An action connector (one folder each under connectors/, the same files: client.ts, actions.ts, index.ts,
 * <name>.test.ts, testing.ts with its loopback server).
 */
export interface ActionConnector {
  name: string;
  kind: string;
  /** The actions it carries out. */
  actions: readonly ActionName[];
  execute(call: ConnectorCall, ctx: ConnectorContext): Promise<ConnectorResult>;
  /**
   * Called instead of `execute` when an earlier attempt was interrupted (a crash, a lost answer): what the
   * vendor shows of that attempt. null means no trace — sending again cannot run the action twice.
   */
  reconcile(call: ConnectorCall, ctx: ConnectorContext): Promise<ConnectorResult | null>;
  /** Follows an `in_progress` action to its end (Defender machine actions). */
  poll?(call: ConnectorCall, ctx: ConnectorContext): Promise<ConnectorResult>;
}
