import { NIGHTSHIFT_VERSION, severityRank, tacticOf, type Alert, type AttackTags, type Case, type Observable } from "../../core/index.js";
import { alertObservables } from "../observables.js";
import type { AlertCaseState } from "./ocsf-alert.js";
import type { CaseAlertSummary } from "./ocsf-case.js";

/*
 * Elastic Common Schema documents (ECS 9.4) for Elastic users: nested objects as Elasticsearch stores
 * them, one per line. ECS fields where ECS has them; what is Nightshift's own sits under `nightshift.*`
 * (ECS custom fields go under a name of your own). event.severity is 1 (informational) … 5 (critical).
 */

export const ECS_VERSION = "9.4.0";

const OBSERVER = { vendor: "Nightshift", product: "Nightshift", version: NIGHTSHIFT_VERSION } as const;

/** Drops undefined, null and empty arrays or objects, recursively: ECS documents carry what is known. */
export function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? value.map(prune) : undefined;
  if (value && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => [k, prune(v)] as const).filter(([, v]) => v !== undefined);
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return value === null ? undefined : value;
}

function threat(attack: AttackTags) {
  if (!attack.tactics.length && !attack.techniques.length) return undefined;
  const tactics = attack.tactics.map((name) => ({ name, id: tacticOf(name)?.id }));
  const parents = [...new Set(attack.techniques.map((t) => t.split(".")[0]!))];
  const subs = attack.techniques.filter((t) => t.includes("."));
  return {
    framework: "MITRE ATT&CK",
    tactic: { id: tactics.flatMap((t) => (t.id ? [t.id] : [])), name: tactics.map((t) => t.name) },
    technique: { id: parents, subtechnique: { id: subs } },
  };
}

/** ECS `related.*`: every observable by kind, the fields Elastic pivots on. */
function related(observables: readonly Observable[]) {
  const of = (...types: Observable["type"][]) => [...new Set(observables.filter((o) => types.includes(o.type)).map((o) => o.value))];
  return { ip: of("ip"), user: of("user", "email"), hosts: of("host", "domain"), hash: of("file_hash") };
}

function endpoint(e: Alert["src"]) {
  return e ? { ip: e.ip, domain: e.domain ?? e.hostname, port: e.port } : undefined;
}

/** One alert as an ECS document (event.kind alert, dataset nightshift.alerts). */
export function ecsAlert(alert: Alert, state: AlertCaseState): Record<string, unknown> {
  return prune({
    "@timestamp": alert.time,
    ecs: { version: ECS_VERSION },
    message: alert.title,
    event: {
      kind: "alert",
      category: ["intrusion_detection"],
      type: ["info"],
      id: alert.id,
      created: alert.received_at,
      dataset: "nightshift.alerts",
      module: "nightshift",
      provider: alert.source,
      severity: severityRank(alert.severity) + 1,
      risk_score: alert.confidence,
    },
    observer: OBSERVER,
    rule: alert.rule ? { id: alert.rule.id, name: alert.rule.title, author: alert.rule.author, ruleset: alert.rule.source } : undefined,
    threat: threat(alert.attack),
    host: alert.host ? { name: alert.host.name, ip: alert.host.ip } : undefined,
    user: alert.user ? { name: alert.user.name, domain: alert.user.domain } : undefined,
    source: endpoint(alert.src),
    destination: endpoint(alert.dst),
    url: alert.dst?.url ? { full: alert.dst.url } : undefined,
    network: alert.network ? { protocol: alert.network.protocol, transport: alert.network.transport } : undefined,
    process: alert.process
      ? {
          name: alert.process.name,
          command_line: alert.process.command_line,
          pid: alert.process.pid,
          parent: { name: alert.process.parent_name, command_line: alert.process.parent_command_line },
          hash: { sha256: alert.process.sha256 },
        }
      : undefined,
    email: alert.email
      ? { subject: alert.email.subject, from: { address: alert.email.sender ? [alert.email.sender] : [] }, to: { address: alert.email.recipients } }
      : undefined,
    related: related(alertObservables(alert)),
    nightshift: {
      alert: { source_id: alert.source_id, subtype: alert.subtype, priority: alert.priority, stage: state.stage, duplicates: state.duplicates },
      case: { id: state.case_id, status: state.case_status, verdict: state.case_verdict },
      outcome: state.outcome,
    },
  }) as Record<string, unknown>;
}

/** One case as an ECS document (event.kind alert, dataset nightshift.cases, @timestamp its last update). */
export function ecsCase(c: Case, alerts: readonly CaseAlertSummary[]): Record<string, unknown> {
  const times = alerts.map((a) => a.time).sort();
  return prune({
    "@timestamp": c.updated_at,
    ecs: { version: ECS_VERSION },
    message: c.title,
    tags: c.tags,
    event: {
      kind: "alert",
      category: ["intrusion_detection"],
      type: ["info"],
      id: c.id,
      created: c.created_at,
      start: times[0],
      end: times.at(-1),
      dataset: "nightshift.cases",
      module: "nightshift",
      severity: severityRank(c.severity) + 1,
      risk_score: c.confidence,
    },
    observer: OBSERVER,
    threat: threat(c.attack),
    related: related(c.observables),
    nightshift: {
      case: {
        id: c.id,
        status: c.status,
        verdict: c.verdict,
        verdict_rationale: c.verdict_rationale,
        crew_verdict: c.crew_verdict,
        priority: c.priority,
        assignee: c.assignee,
        alert_ids: c.alert_ids,
        acknowledged_at: c.acknowledged_at,
        escalated_at: c.escalated_at,
        resolved_at: c.resolved_at,
        closed_at: c.closed_at,
      },
      outcome: c.outcome,
    },
  }) as Record<string, unknown>;
}
