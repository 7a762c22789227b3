import type { Generated, Kysely, Transaction } from "kysely";

/**
 * The tables, as Kysely sees them. JSON is stored as text and times as ISO-8601 UTC strings on both
 * backends, so that the same queries, ordering and migrations hold for SQLite and PostgreSQL.
 */
export interface AlertsTable {
  id: string;
  dedupe_key: string;
  source: string;
  source_id: string | null;
  time: string;
  received_at: string;
  title: string;
  severity: string;
  rule_id: string | null;
  host_name: string | null;
  user_name: string | null;
  origin_file: string | null;
  origin_record: number | null;
  doc: string;
  enrichment: string | null;
  case_id: string | null;
  stage: string;
  /** Further deliveries of exactly the same content collapsed into this row. */
  duplicates: Generated<number>;
}

export interface CasesTable {
  id: string;
  day: string;
  number: number;
  title: string;
  status: string;
  verdict: string | null;
  verdict_rationale: string | null;
  crew_verdict: string | null;
  priority: string | null;
  severity: string;
  confidence: number | null;
  assignee_kind: string | null;
  assignee_name: string | null;
  tags: string;
  attack: string;
  rule_id: string | null;
  group_key: string;
  suppression_id: string | null;
  needs_human_verification: number;
  created_at: string;
  updated_at: string;
  last_alert_at: string;
  acknowledged_at: string | null;
  escalated_at: string | null;
  resolved_at: string | null;
  closed_at: string | null;
  /** scope|entity the incident is about (null for cases grouped before migration 0009). */
  entity_key: string | null;
  first_alert_at: string | null;
}

/** Every group key a case has taken alerts for, with the last alert time under that key. */
export interface CaseKeysTable {
  group_key: string;
  case_id: string;
  last_alert_at: string;
}

export interface ObservablesTable {
  case_id: string;
  alert_id: string;
  type: string;
  value: string;
  role: string | null;
}

export interface CommentsTable {
  id: string;
  case_id: string;
  author_kind: string;
  author_name: string;
  body: string;
  created_at: string;
}

/** Signed heads of the audit chain. */
export interface AuditCheckpointsTable {
  seq: number;
  hash: string;
  at: string;
  key_id: string;
  mac: string;
}

export interface AuditTable {
  seq: number;
  at: string;
  actor_kind: string;
  actor_name: string;
  action: string;
  case_id: string | null;
  data: string;
  prev_hash: string;
  hash: string;
  /** `sha256` (a plain hash: events written before migration 0010) or `hmac-sha256` (keyed). */
  alg: Generated<string>;
  key_id: string | null;
}

export interface DecisionsTable {
  id: string;
  case_id: string;
  agent: string;
  tier: number;
  schema_version: number;
  verdict: string;
  output: string;
  analyst: string;
  duration_ms: number;
  created_at: string;
}

export interface AssetsTable {
  hostname: string;
  doc: string;
  updated_at: string;
  source: string;
}

export interface AssetIpsTable {
  ip: string;
  hostname: string;
}

/** A device inventory's record (src/context/assets), merged with the CMDB record when a host is resolved. */
export interface AssetInventoryTable {
  source: string;
  device_key: string;
  hostname: string;
  doc: string;
  last_seen: string | null;
  updated_at: string;
}

/** Another name of a host: its short name when keyed by an FQDN, or an alias the CMDB or an inventory declares. */
export interface HostAliasesTable {
  alias: string;
  hostname: string;
  /** `cmdb` or the inventory's source. */
  source: string;
  kind: "short_name" | "alias";
}

/** One continuous sighting of an address on a host, by one source. */
export interface IpObservationsTable {
  ip: string;
  source: string;
  first_seen: string;
  hostname: string;
  last_seen: string;
}

export interface DhcpLeasesTable {
  source: string;
  ip: string;
  starts: string;
  ends: string | null;
  hostname: string | null;
  mac: string | null;
  imported_at: string;
}

export interface SubnetsTable {
  cidr: string;
  doc: string;
  updated_at: string;
  source: string;
}

export interface IdentitiesTable {
  username: string;
  doc: string;
  updated_at: string;
  source: string;
}

export interface IndicatorsTable {
  type: string;
  value: string;
  doc: string;
  updated_at: string;
}

export interface SuppressionsTable {
  id: string;
  doc: string;
  created_at: string;
  expires_at: string | null;
}

export interface TokensTable {
  id: string;
  name: string;
  role: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface JobsTable {
  id: string;
  kind: string;
  payload: string;
  dedupe_key: string | null;
  status: string;
  attempts: number;
  run_after: string;
  locked_by: string | null;
  locked_until: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface CountersTable {
  name: string;
  value: number;
}

/** Raw events (src/events). SQLite adds `seq` (the FTS5 rowid), PostgreSQL `body` (the full-text words). */
export interface EventsTable {
  id: string;
  time: string;
  received_at: string;
  host: string | null;
  host_key: string | null;
  user_name: string | null;
  user_key: string | null;
  process: string | null;
  process_name: string | null;
  process_id: string | null;
  process_guid: string | null;
  parent_process_id: string | null;
  parent_process_guid: string | null;
  parent_process: string | null;
  event_id: string | null;
  channel: string | null;
  provider: string | null;
  process_start: number;
  origin_file: string;
  origin_record: number;
  data: string;
}

export interface DetectionStateTable {
  id: string;
  state: string;
  updated_at: string;
}

/** Pull connectors (src/ingest/connectors): checkpoint JSON and health, one row per connector. */
export interface ConnectorStateTable {
  name: string;
  kind: string;
  checkpoint: string;
  checkpoint_time: string | null;
  last_run_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  fetched: number;
  created: number;
  duplicates: number;
  rejected: number;
  updated_at: string;
}

export interface Database {
  alerts: AlertsTable;
  cases: CasesTable;
  case_keys: CaseKeysTable;
  observables: ObservablesTable;
  comments: CommentsTable;
  audit_events: AuditTable;
  audit_checkpoints: AuditCheckpointsTable;
  decisions: DecisionsTable;
  assets: AssetsTable;
  asset_ips: AssetIpsTable;
  asset_inventory: AssetInventoryTable;
  host_aliases: HostAliasesTable;
  ip_observations: IpObservationsTable;
  dhcp_leases: DhcpLeasesTable;
  subnets: SubnetsTable;
  identities: IdentitiesTable;
  indicators: IndicatorsTable;
  suppressions: SuppressionsTable;
  tokens: TokensTable;
  jobs: JobsTable;
  counters: CountersTable;
  events: EventsTable;
  detection_state: DetectionStateTable;
  connector_state: ConnectorStateTable;
  intel_state: IntelStateTable;
  agent_runs: AgentRunsTable;
  trace_entries: TraceEntriesTable;
  shift_memory: ShiftMemoryTable;
  proposed_actions: ProposedActionsTable;
  feedback: FeedbackTable;
  alert_keys: AlertKeysTable;
  alert_keys_pending: AlertKeysPendingTable;
  response_actions: ResponseActionsTable;
  response_approvals: ResponseApprovalsTable;
  nova_analyses: NovaAnalysesTable;
  nova_proposals: NovaProposalsTable;
}

/** An action the response tier was asked to take (src/respond): JSON columns args, facts, evidence, outcome. */
export interface ResponseActionsTable {
  id: string;
  /** The requester's own key (e.g. the proposed action's id): asking twice returns the first row. */
  request_key: string | null;
  case_id: string | null;
  action: string;
  args: string;
  args_hash: string;
  target: string;
  status: string;
  decision: string;
  policy_rule: string;
  explanation: string;
  facts: string;
  approvals_required: number;
  requested_by_kind: string;
  requested_by: string;
  rationale: string;
  evidence: string;
  confidence: number | null;
  connector: string | null;
  supersedes: string | null;
  rollback_of: string | null;
  idempotency_key: string;
  attempts: Generated<number>;
  lease_until: string | null;
  remote_ref: string | null;
  outcome: string | null;
  error: string | null;
  expires_at: string | null;
  created_at: string;
  updated_at: string;
  decided_at: string | null;
  started_at: string | null;
  finished_at: string | null;
}

/** One person's decision on a response action, bound to the arguments' hash they saw. */
export interface ResponseApprovalsTable {
  action_id: string;
  approver: string;
  role: string;
  decision: string;
  args_hash: string;
  note: string | null;
  at: string;
}

/** NOVA's published analyses (src/nova, migration 0017-nova). */
export interface NovaAnalysesTable {
  id: string;
  since: string;
  until: string;
  doc: string;
  created_at: string;
}

/** NOVA's proposals, each accepted or rejected by a human. */
export interface NovaProposalsTable {
  id: string;
  analysis_id: string;
  kind: string;
  status: string;
  doc: string;
  created_at: string;
  decided_at: string | null;
  decided_by: string | null;
  suppression_id: string | null;
}

/** An alert's history keys (`h:ws-042`, `i:203.0.113.9`, `d:evil.example`…), written by src/context/history-keys.ts. */
export interface AlertKeysTable {
  alert_id: string;
  key: string;
  /** The alert's time, as in `alerts.time`. */
  time: string;
}

/** Alerts whose history keys are not written yet (a trigger adds every inserted alert). */
export interface AlertKeysPendingTable {
  alert_id: string;
}

/** Analyst feedback (context/feedback.ts): one judged alert, `benign` 1 (false positive) or 0. */
export interface FeedbackTable {
  id: string;
  /** `import` (a SOAR/SIEM history file) or `case` (a human verdict on a live case). */
  origin: string;
  /** `file:record` or `case_id:alert_id`. */
  ref: string;
  source: string;
  rule: string;
  host: string | null;
  host_role: string | null;
  src_ip: string | null;
  benign: number;
  label: string;
  title: string;
  time: string;
  created_at: string;
}

export interface IntelStateTable {
  id: number;
  version: string;
}

/** JSON columns: failure, fallback, usage, input (src/core/trace.ts). */
export interface AgentRunsTable {
  id: string;
  case_id: string;
  agent: string;
  tier: number;
  analyst: string;
  prompt_version: string | null;
  status: string;
  attempt: number;
  failure: string | null;
  decision_id: string | null;
  fallback: string | null;
  usage: string;
  input: string;
  started_at: string;
  finished_at: string | null;
}

export interface TraceEntriesTable {
  run_id: string;
  seq: number;
  kind: string;
  at: string;
  latency_ms: number | null;
  tokens_in: number | null;
  tokens_out: number | null;
  /** 0/1 */
  tokens_estimated: number;
  cost: number | null;
  data: string;
}

export interface ShiftMemoryTable {
  agent: string;
  shift: string;
  key: string;
  /** JSON */
  value: string;
  case_id: string | null;
  updated_at: string;
}

/** Actions an agent proposed for ARIA: `doc` is the validated proposal (JSON); status proposed|withdrawn|… */
export interface ProposedActionsTable {
  id: string;
  case_id: string;
  run_id: string | null;
  proposed_by: string;
  action: string;
  target: string;
  doc: string;
  status: string;
  created_at: string;
}

export type Db = Kysely<Database>;
/** Either the database or an open transaction: domain functions accept both. */
export type Executor = Kysely<Database> | Transaction<Database>;
export type { Generated };
