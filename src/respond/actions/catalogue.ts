import { z } from "zod";
import { Account, DeviceId, HostName, IndicatorType, IsoTime, indicatorProblem } from "./args.js";

export const ACTION_NAMES = [
  "isolate_host",
  "release_host",
  "run_av_scan",
  "collect_investigation_package",
  "disable_account",
  "enable_account",
  "revoke_sessions",
  "reset_credentials",
  "block_indicator",
  "unblock_indicator",
  "quarantine_file",
] as const;
export const ActionName = z.enum(ACTION_NAMES, { error: `an action: ${ACTION_NAMES.join(", ")}` });
export type ActionName = z.infer<typeof ActionName>;

/** What an action works on: the policy's `target_kinds` and the do-not-touch flag are judged on it. */
export type TargetKind = "host" | "account" | "indicator";

const HostArgs = z.strictObject({
  host: HostName,
  /** The EDR's device id when known (the asset's `device_id`); else the connector finds the device by name. */
  device_id: DeviceId.optional(),
});
const AccountArgs = z.strictObject({ account: Account });
const IndicatorArgs = z
  .strictObject({
    type: IndicatorType,
    value: z.string().trim().min(1).max(2048),
  })
  .superRefine((args, ctx) => {
    const problem = indicatorProblem(args.type, args.value);
    if (problem) ctx.addIssue({ code: "custom", path: ["value"], message: problem });
  });
const BlockArgs = z
  .strictObject({
    type: IndicatorType,
    value: z.string().trim().min(1).max(2048),
    /** When the block lapses by itself (the EDR drops the indicator); unset: until unblocked. */
    expires_at: IsoTime.optional(),
  })
  .superRefine((args, ctx) => {
    const problem = indicatorProblem(args.type, args.value);
    if (problem) ctx.addIssue({ code: "custom", path: ["value"], message: problem });
  });

export interface ActionSpec {
  name: ActionName;
  description: string;
  target: TargetKind;
  /** Interrupts someone's work (a host off the network, an account locked out, traffic blocked, a file removed). */
  disruptive: boolean;
  /** The action that undoes it, run with the same arguments (null: nothing to undo). */
  rollback: ActionName | null;
  args: z.ZodType;
  /** The value the action is aimed at: a host name, an account, an indicator's value. */
  targetOf(args: Record<string, unknown>): string;
}

const host = (args: Record<string, unknown>) => String(args.host);
const account = (args: Record<string, unknown>) => String(args.account);
const indicator = (args: Record<string, unknown>) => String(args.value);

export const ACTIONS: Record<ActionName, ActionSpec> = {
  isolate_host: {
    name: "isolate_host",
    description: "cut a host off the network except the EDR's own channel",
    target: "host",
    disruptive: true,
    rollback: "release_host",
    args: HostArgs.extend({ isolation_type: z.enum(["full", "selective"]).default("full") }),
    targetOf: host,
  },
  release_host: { name: "release_host", description: "release a host from isolation", target: "host", disruptive: false, rollback: "isolate_host", args: HostArgs, targetOf: host },
  run_av_scan: {
    name: "run_av_scan",
    description: "run an antivirus scan on a host",
    target: "host",
    disruptive: false,
    rollback: null,
    args: HostArgs.extend({ scan_type: z.enum(["quick", "full"]).default("quick") }),
    targetOf: host,
  },
  collect_investigation_package: {
    name: "collect_investigation_package",
    description: "collect a forensic package (logs, autoruns, processes) from a host",
    target: "host",
    disruptive: false,
    rollback: null,
    args: HostArgs,
    targetOf: host,
  },
  disable_account: { name: "disable_account", description: "block an account from signing in", target: "account", disruptive: true, rollback: "enable_account", args: AccountArgs, targetOf: account },
  enable_account: { name: "enable_account", description: "allow an account to sign in again", target: "account", disruptive: false, rollback: "disable_account", args: AccountArgs, targetOf: account },
  revoke_sessions: { name: "revoke_sessions", description: "invalidate an account's sign-in sessions and refresh tokens", target: "account", disruptive: true, rollback: null, args: AccountArgs, targetOf: account },
  reset_credentials: { name: "reset_credentials", description: "reset an account's password (the user sets a new one at next sign-in)", target: "account", disruptive: true, rollback: null, args: AccountArgs, targetOf: account },
  block_indicator: { name: "block_indicator", description: "block an IP, domain, URL or file hash", target: "indicator", disruptive: true, rollback: "unblock_indicator", args: BlockArgs, targetOf: indicator },
  unblock_indicator: { name: "unblock_indicator", description: "remove a block on an indicator", target: "indicator", disruptive: false, rollback: "block_indicator", args: IndicatorArgs, targetOf: indicator },
  quarantine_file: {
    name: "quarantine_file",
    description: "stop the processes of a file and quarantine it on a host",
    target: "host",
    disruptive: true,
    rollback: null,
    args: HostArgs.extend({ sha1: z.string().regex(/^[0-9a-fA-F]{40}$/, "a SHA-1 hash (40 hex characters)").transform((v) => v.toLowerCase()) }),
    targetOf: host,
  },
};

export function actionSpec(name: ActionName): ActionSpec {
  return ACTIONS[name];
}

/** The arguments of an action's rollback: the same target (indicator blocks drop their expiry). */
export function rollbackArgs(name: ActionName, args: Record<string, unknown>): { action: ActionName; args: Record<string, unknown> } | null {
  const rollback = ACTIONS[name].rollback;
  if (!rollback) return null;
  const out: Record<string, unknown> = { ...args };
  if (name === "block_indicator") delete out.expires_at;
  if (name === "isolate_host") delete out.isolation_type;
  return { action: rollback, args: out };
}
