import { eventField, eventText, processTree, type ProcessNode, type StoredEvent } from "../../../events/index.js";
import type { Augmentation, PartQuery, ProcessNodeDigest } from "../schema.js";
import { AUGMENT_CAPS, AUGMENT_WINDOW } from "./caps.js";
import { bounded, dedupe, digest, missingFor, primaryHosts, search, shift, type AugmentContext } from "./context.js";

// Endpoint: the process tree around each alert's process, and persistence and file events on the case's hosts.

const SYSMON_PROCESS = "1";
const PERSISTENCE_EVENT_IDS = ["7045", "4697", "4698", "4720", "4732", "13", "11"] as const;

function processOf(node: ProcessNode, target: string | null, depth: number, out: ProcessNodeDigest[]): void {
  if (out.length >= AUGMENT_CAPS.nodesPerTree) return;
  const data = node.event.data;
  const signed = eventField(data, "Signed", "process.code_signature.valid", "process.code_signature.trusted");
  out.push({
    depth,
    time: node.event.time,
    process: node.event.process,
    process_id: node.event.process_id,
    process_guid: node.event.process_guid,
    parent_process: node.event.parent_process,
    user: node.event.user,
    command_line: bounded(eventText(data, "CommandLine", "process.command_line", "cmdline")) as string | null,
    signed: typeof signed === "boolean" ? signed : typeof signed === "string" ? /^true$/i.test(signed) : null,
    signer: eventText(data, "Signature", "Company", "process.code_signature.subject_name"),
    sha256: hashOf(data),
    is_target: node.event.id === target,
  });
  for (const child of node.children) processOf(child, target, depth + 1, out);
}

function hashOf(data: Record<string, unknown>): string | null {
  const direct = eventText(data, "process.hash.sha256", "sha256", "SHA256");
  if (direct) return direct.toLowerCase();
  const hashes = eventText(data, "Hashes");
  const match = hashes ? /SHA256=([0-9a-f]{64})/i.exec(hashes) : null;
  return match ? match[1]!.toLowerCase() : null;
}

export async function processTreePart(ctx: AugmentContext): Promise<Augmentation["process_trees"]> {
  const queries: PartQuery[] = [];
  const missing: string[] = [];
  const trees: Augmentation["process_trees"]["trees"] = [];
  let truncated = false;
  const processAlerts = ctx.alerts.filter(({ alert }) => alert.process && (alert.host?.name || alert.process.pid !== undefined));
  for (const { alert, enrichment } of processAlerts) {
    const host = alert.host?.name ?? enrichment.asset?.hostname;
    if (!host) continue;
    if (trees.length >= AUGMENT_CAPS.trees) {
      truncated = true;
      break;
    }
    const raw = alert.raw && typeof alert.raw === "object" && !Array.isArray(alert.raw) ? (alert.raw as Record<string, unknown>) : {};
    let guid = eventText(raw, "ProcessGuid", "process.entity_id");
    let pid = alert.process!.pid !== undefined ? String(alert.process!.pid) : eventText(raw, "ProcessId", "process.pid");
    if (!guid && !pid && alert.process!.name) {
      // The alert names the process only: its creation event near the alert's time gives the guid or pid.
      const found = await search(ctx, queries, {
        host,
        process: alert.process!.name,
        event_id: SYSMON_PROCESS,
        from: shift(alert.time, -AUGMENT_WINDOW.before_minutes),
        to: shift(alert.time, 5),
        order: "desc",
        limit: 1,
      });
      guid = found.events[0]?.process_guid ?? null;
      pid = found.events[0]?.process_id ?? null;
    }
    if (!guid && !pid) {
      missing.push(`process tree of ${alert.process!.name ?? "the alert's process"} on ${host}: no process id or guid, and no creation event stored`);
      continue;
    }
    const args = { host, ...(guid ? { process_guid: guid } : {}), ...(pid ? { process_id: pid } : {}), time: shift(alert.time, 1) };
    queries.push({ source: "process_tree", args });
    const tree = await processTree(ctx.ex, args);
    if (!tree) {
      const why = missingFor(ctx, host, "edr", `process creation events for ${alert.process!.name ?? pid ?? guid}`, 0);
      if (why) missing.push(why);
      continue;
    }
    const target = findTarget(tree, guid, pid);
    const nodes: ProcessNodeDigest[] = [];
    processOf(tree, target, 0, nodes);
    if (countNodes(tree) > nodes.length) truncated = true;
    trees.push({ alert_id: alert.id, host, nodes });
  }
  return { queries, missing_telemetry: [...new Set(missing)], truncated, trees };
}

function countNodes(node: ProcessNode): number {
  return 1 + node.children.reduce((n, c) => n + countNodes(c), 0);
}

function findTarget(node: ProcessNode, guid: string | null, pid: string | null): string | null {
  const g = guid?.replace(/^\{|\}$/g, "").toUpperCase() ?? null;
  const stack = [node];
  let byPid: string | null = null;
  while (stack.length) {
    const n = stack.pop()!;
    if (g && n.event.process_guid === g) return n.event.id;
    if (pid && n.event.process_id === pid) byPid = n.event.id;
    stack.push(...n.children);
  }
  return byPid;
}

export async function persistencePart(ctx: AugmentContext): Promise<Augmentation["persistence"]> {
  const queries: PartQuery[] = [];
  const found: StoredEvent[] = [];
  let truncated = false;
  const from = shift(ctx.first, -AUGMENT_WINDOW.before_minutes);
  const to = shift(ctx.last, AUGMENT_WINDOW.after_minutes);
  for (const host of primaryHosts(ctx)) {
    for (const eventId of PERSISTENCE_EVENT_IDS) {
      const filters = eventId === "13" ? [{ field: "TargetObject", value: "\\CurrentVersion\\Run", op: "contains" as const }] : undefined;
      const page = await search(ctx, queries, { host, event_id: eventId, from, to, limit: AUGMENT_CAPS.persistence, ...(filters ? { filters } : {}) });
      found.push(...page.events);
      truncated ||= page.more;
    }
  }
  const events = dedupe(found);
  if (events.length > AUGMENT_CAPS.persistence) truncated = true;
  const missing = primaryHosts(ctx)
    .map((h) => (events.some((e) => e.host?.toLowerCase().startsWith(h.toLowerCase())) ? null : missingFor(ctx, h, "edr", "persistence and file events", 0)))
    .filter((m): m is string => !!m && m.includes("has none"));
  return { queries, missing_telemetry: missing, truncated, events: events.slice(0, AUGMENT_CAPS.persistence).map(digest) };
}
