import { z } from "zod";
import { normaliseTactics } from "./attack.js";
import { Priority, Severity } from "./severity.js";

/** Typed observables, after the OCSF observable types Nightshift reasons on. */
export const OBSERVABLE_TYPES = ["ip", "domain", "url", "file_hash", "user", "host", "process", "email"] as const;
export const ObservableType = z.enum(OBSERVABLE_TYPES);
export type ObservableType = z.infer<typeof ObservableType>;

export const Observable = z.object({
  type: ObservableType,
  value: z.string().min(1),
  /** Where the value sits in the alert: source, destination, actor, target. */
  role: z.enum(["src", "dst", "actor", "target", "other"]).optional(),
});
export type Observable = z.infer<typeof Observable>;

export const AlertRule = z.object({
  id: z.string().min(1),
  title: z.string().min(1),
  level: z.string().optional(),
  /** The Detection Rule License requires the author wherever a match is shown. */
  author: z.string().optional(),
  /** Which engine or product owns the rule (sigma, suricata, wazuh…). */
  source: z.string().optional(),
});
export type AlertRule = z.infer<typeof AlertRule>;

/**
 * ATT&CK tags. Tactics come out as canonical names (`Command and Control`, whatever the source wrote:
 * `command-and-control`, `Command_And_Control`, `TA0011`) with their ids in `tactic_ids` (core/attack.ts);
 * a name the table does not know is kept as given, without an id.
 */
export const AttackTagsObject = z.object({
  tactics: z.array(z.string()).default([]),
  techniques: z.array(z.string().regex(/^T\d{4}(\.\d{3})?$/, "ATT&CK technique id such as T1059.001")).default([]),
  tactic_ids: z.array(z.string()).optional(),
});
export const AttackTags = AttackTagsObject.transform((attack): { tactics: string[]; techniques: string[]; tactic_ids?: string[] } => ({ ...attack, ...normaliseTactics(attack.tactics) }));
export type AttackTags = z.infer<typeof AttackTags>;

export const HostRef = z.object({ name: z.string().min(1).optional(), ip: z.array(z.string()).default([]) });
export const UserRef = z.object({ name: z.string().min(1), domain: z.string().optional() });
export const Endpoint = z.object({
  ip: z.string().optional(),
  hostname: z.string().optional(),
  domain: z.string().optional(),
  port: z.number().int().min(0).max(65535).optional(),
  url: z.string().optional(),
});
export type Endpoint = z.infer<typeof Endpoint>;

export const NetworkDetail = z.object({
  protocol: z.string().optional(),
  transport: z.string().optional(),
  query_type: z.string().optional(),
  response_code: z.string().optional(),
  answers: z.array(z.string()).optional(),
  bytes_out: z.number().optional(),
  bytes_in: z.number().optional(),
});

export const ProcessDetail = z.object({
  name: z.string().optional(),
  command_line: z.string().optional(),
  pid: z.number().int().optional(),
  parent_name: z.string().optional(),
  parent_command_line: z.string().optional(),
  signed: z.boolean().optional(),
  signer: z.string().optional(),
  sha256: z.string().optional(),
});

export const EmailDetail = z.object({
  subject: z.string().optional(),
  sender: z.string().optional(),
  recipients: z.array(z.string()).optional(),
  recipient_count: z.number().int().optional(),
  gateway_verdict: z.string().optional(),
  gateway_action: z.string().optional(),
  links: z.array(z.string()).optional(),
  attachments: z.array(z.string()).optional(),
  page_loaded: z.boolean().optional(),
  credentials_submitted: z.boolean().optional(),
  spf: z.string().optional(),
  dkim: z.string().optional(),
  dmarc: z.string().optional(),
});
export type EmailDetail = z.infer<typeof EmailDetail>;

/** Where a stored alert came from: the API, a webhook, or a record of a file. */
export const AlertOrigin = z.object({
  via: z.enum(["api", "webhook", "file", "connector", "detect"]),
  file: z.string().optional(),
  record: z.number().int().positive().optional(),
  /** Who delivered it when authenticated: `webhook:<sender>` or `token:<id>`; grouping never mixes two. */
  sender: z.string().min(1).optional(),
});
export type AlertOrigin = z.infer<typeof AlertOrigin>;

/**
 * The normalised alert, aligned with the OCSF Detection Finding (class 2004):
 * `id` is the finding uid, `rule` the analytic, `attack` the attacks list,
 * `observables` the typed observables, `unmapped` what no field took.
 */
export const Alert = z.object({
  schema_version: z.literal(1),
  id: z.string().min(1),
  source: z.string().min(1),
  source_id: z.string().min(1).nullable(),
  time: z.iso.datetime({ offset: true }),
  received_at: z.iso.datetime({ offset: true }),
  title: z.string().min(1),
  description: z.string().optional(),
  severity: Severity,
  /** The sender's own priority, mapped to P1–P4 by the source's priority table; TORA sets the case's priority. */
  priority: Priority.optional(),
  /** Source confidence 0–100 where the sender gives one. */
  confidence: z.number().min(0).max(100).optional(),
  /** Alert subtype such as dns_malicious_lookup or ssh_bruteforce (crew.md). */
  subtype: z.string().optional(),
  rule: AlertRule.nullable(),
  attack: AttackTags,
  host: HostRef.nullable(),
  user: UserRef.nullable(),
  src: Endpoint.nullable(),
  dst: Endpoint.nullable(),
  network: NetworkDetail.nullable(),
  process: ProcessDetail.nullable(),
  email: EmailDetail.nullable(),
  observables: z.array(Observable),
  raw: z.unknown(),
  unmapped: z.record(z.string(), z.unknown()),
  origin: AlertOrigin,
});
export type Alert = z.infer<typeof Alert>;
