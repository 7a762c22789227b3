import { z } from "zod";
import type { ActionName } from "../../actions/index.js";
import { ApiError } from "../http.js";
import { odataString, vendorComment } from "../common.js";
import type { ConnectorCall, ConnectorContext, ConnectorResult } from "../types.js";
import type { DefenderClient } from "./client.js";

/** The machine action each catalogue action becomes: its API path segment, `type` in MachineAction, extra body. */
const MACHINE_ACTIONS: Partial<Record<ActionName, { path: string; type: string; body: (args: Record<string, unknown>) => Record<string, unknown> }>> = {
  isolate_host: { path: "isolate", type: "Isolate", body: (a) => ({ IsolationType: a.isolation_type === "selective" ? "Selective" : "Full" }) },
  release_host: { path: "unisolate", type: "Unisolate", body: () => ({}) },
  run_av_scan: { path: "runAntiVirusScan", type: "RunAntiVirusScan", body: (a) => ({ ScanType: a.scan_type === "full" ? "Full" : "Quick" }) },
  collect_investigation_package: { path: "collectInvestigationPackage", type: "CollectInvestigationPackage", body: () => ({}) },
  quarantine_file: { path: "StopAndQuarantineFile", type: "StopAndQuarantineFile", body: (a) => ({ Sha1: a.sha1 }) },
};

export const DEFENDER_ACTIONS = [...(Object.keys(MACHINE_ACTIONS) as ActionName[]), "block_indicator", "unblock_indicator"] as const;

/** MachineAction (GET /api/machineactions/{id}): the fields read. */
const MachineAction = z.looseObject({
  id: z.string(),
  type: z.string().optional(),
  status: z.string(),
  machineId: z.string().nullish(),
  requestorComment: z.string().nullish(),
  computerDnsName: z.string().nullish(),
});
type MachineAction = z.infer<typeof MachineAction>;

const INDICATOR_TYPES: Record<string, string> = { ip: "IpAddress", domain: "DomainName", url: "Url", sha1: "FileSha1", sha256: "FileSha256", md5: "FileMd5" };

function machineResult(action: MachineAction, what: string): ConnectorResult {
  const detail = { machine_action_id: action.id, machine_id: action.machineId ?? null, vendor_status: action.status };
  switch (action.status) {
    case "Succeeded":
      return { status: "succeeded", action_taken: what, remote_ref: action.id, detail };
    case "Failed":
    case "TimeOut":
    case "Cancelled":
      return { status: "failed", action_taken: what, remote_ref: action.id, error: `Defender machine action ${action.id} ended ${action.status}`, detail };
    default:
      return { status: "in_progress", action_taken: what, remote_ref: action.id, detail };
  }
}

/** The device's machine id: the one given, else the single device whose DNS name is the host (or starts with `host.`). */
async function machineId(client: DefenderClient, args: Record<string, unknown>, ctx: ConnectorContext): Promise<string> {
  if (typeof args.device_id === "string") return args.device_id;
  const host = String(args.host).toLowerCase();
  const filter = `computerDnsName eq ${odataString(host)} or startswith(computerDnsName,${odataString(`${host}.`)})`;
  const found = await client.call({ method: "GET", path: `/api/machines?$filter=${encodeURIComponent(filter)}`, idempotent: true }, ctx);
  const value = z.looseObject({ value: z.array(z.looseObject({ id: z.string(), computerDnsName: z.string().nullish() })) }).safeParse(found?.body);
  const machines = value.success ? value.data.value : [];
  if (machines.length === 0) throw new ApiError(`${client.settings.name}: no Defender device named ${host}`, 404, "NotFound");
  if (machines.length > 1) throw new ApiError(`${client.settings.name}: ${machines.length} Defender devices match ${host}; give device_id`, 409, "Ambiguous");
  return machines[0]!.id;
}

const describe = (call: ConnectorCall, machine: string) => `${call.action} ${String(call.args.host)} through Defender (device ${machine})`;

export async function executeDefender(client: DefenderClient, call: ConnectorCall, ctx: ConnectorContext): Promise<ConnectorResult> {
  const spec = MACHINE_ACTIONS[call.action];
  if (spec) {
    const machine = await machineId(client, call.args, ctx);
    const response = await client.call(
      { method: "POST", path: `/api/machines/${encodeURIComponent(machine)}/${spec.path}`, body: { Comment: vendorComment(call), ...spec.body(call.args) }, idempotent: false },
      ctx,
    );
    return machineResult(MachineAction.parse(response?.body), describe(call, machine));
  }
  if (call.action === "block_indicator") return blockIndicator(client, call, ctx);
  if (call.action === "unblock_indicator") return unblockIndicator(client, call, ctx);
  throw new ApiError(`${client.settings.name}: Defender does not carry out ${call.action}`, 400, null);
}

async function blockIndicator(client: DefenderClient, call: ConnectorCall, ctx: ConnectorContext): Promise<ConnectorResult> {
  const type = String(call.args.type);
  const file = type === "sha1" || type === "sha256" || type === "md5";
  const body = {
    indicatorValue: String(call.args.value),
    indicatorType: INDICATOR_TYPES[type],
    action: file ? "BlockAndRemediate" : "Block",
    generateAlert: true,
    title: `Nightshift block ${call.caseId ?? call.actionId}`,
    description: vendorComment(call),
    severity: "High",
    ...(call.args.expires_at ? { expirationTime: call.args.expires_at } : {}),
  };
  // Submit-or-update is keyed by the indicator's value: repeating it cannot create a second block.
  const response = await client.call({ method: "POST", path: "/api/indicators", body, idempotent: true }, ctx);
  const id = z.looseObject({ id: z.union([z.string(), z.number()]) }).parse(response?.body).id;
  return { status: "succeeded", action_taken: `blocked ${type} ${String(call.args.value)} in Defender (indicator ${id})`, remote_ref: String(id), detail: { indicator_id: String(id) } };
}

async function unblockIndicator(client: DefenderClient, call: ConnectorCall, ctx: ConnectorContext): Promise<ConnectorResult> {
  const value = String(call.args.value);
  let ids: string[] = [];
  const known = call.rollbackOf?.detail.indicator_id ?? call.rollbackOf?.remoteRef;
  if (typeof known === "string") ids = [known];
  else {
    const found = await client.call({ method: "GET", path: `/api/indicators?$filter=${encodeURIComponent(`indicatorValue eq ${odataString(value)}`)}`, idempotent: true }, ctx);
    const list = z.looseObject({ value: z.array(z.looseObject({ id: z.union([z.string(), z.number()]) })) }).safeParse(found?.body);
    ids = list.success ? list.data.value.map((i) => String(i.id)) : [];
  }
  let removed = 0;
  for (const id of ids) if (await client.call({ method: "DELETE", path: `/api/indicators/${encodeURIComponent(id)}`, idempotent: true, allowNotFound: true }, ctx)) removed++;
  return { status: "succeeded", action_taken: removed ? `removed the Defender block on ${value} (${ids.join(", ")})` : `no Defender block on ${value} was left to remove`, remote_ref: ids[0] ?? null, detail: { indicator_ids: ids } };
}

/** GET /api/machineactions/{id}: where a machine action stands. */
export async function pollDefender(client: DefenderClient, call: ConnectorCall, ctx: ConnectorContext): Promise<ConnectorResult> {
  if (!call.remoteRef) throw new ApiError(`${client.settings.name}: no machine action to follow`, 400, null);
  const response = await client.call({ method: "GET", path: `/api/machineactions/${encodeURIComponent(call.remoteRef)}`, idempotent: true }, ctx);
  const action = MachineAction.parse(response?.body);
  return machineResult(action, describe(call, action.machineId ?? "?"));
}

/**
 * After an interrupted attempt: the machine action it created, found by its recorded id or, when the answer
 * was lost, among the device's actions of that type by the idempotency key in `requestorComment`.
 * Indicator submissions and deletions are idempotent: nothing to look for.
 */
export async function reconcileDefender(client: DefenderClient, call: ConnectorCall, ctx: ConnectorContext): Promise<ConnectorResult | null> {
  const spec = MACHINE_ACTIONS[call.action];
  if (!spec) return null;
  if (call.remoteRef) return pollDefender(client, call, ctx);
  const machine = await machineId(client, call.args, ctx);
  const filter = `machineId eq ${odataString(machine)} and type eq ${odataString(spec.type)}`;
  const found = await client.call({ method: "GET", path: `/api/machineactions?$filter=${encodeURIComponent(filter)}`, idempotent: true }, ctx);
  const list = z.looseObject({ value: z.array(MachineAction) }).safeParse(found?.body);
  const mine = list.success ? list.data.value.find((a) => a.requestorComment?.includes(`[${call.idempotencyKey}]`)) : undefined;
  return mine ? machineResult(mine, describe(call, machine)) : null;
}
