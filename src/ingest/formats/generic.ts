import { isIP } from "node:net";
import { z } from "zod";
import {
  Alert,
  OBSERVABLE_TYPES,
  SEVERITIES,
  type AlertOrigin,
  type Observable,
  type ObservableType,
  type Priority,
  type Severity,
} from "../../core/index.js";

/**
 * The generic JSON alert: the public contract every sender can speak (see the ingest README).
 * The schema is lenient about shape (a host may be a string or an object, numbers may come as numeric
 * strings from CSV) and strict about values (an IP must be an IP, a port a port).
 */

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const requiredOr = (expected: string) => (issue: { input?: unknown; code?: string }) =>
  issue.code === "invalid_type" ? (issue.input === undefined ? "required" : `expected ${expected}`) : undefined;

/** A non-empty, trimmed string. */
export const Text = z.string({ error: requiredOr("a string") }).trim().min(1, "must not be empty");
/** A string, or a number turned into one (ids such as Suricata's signature id are numbers). */
export const IdText = z.preprocess((v) => (typeof v === "number" && Number.isFinite(v) ? String(v) : v), Text);

function numberish<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v), schema);
}

const TRUE_WORDS = new Set(["true", "yes", "1", "y"]);
const FALSE_WORDS = new Set(["false", "no", "0", "n"]);
function booleanish() {
  return z.preprocess(
    (v) => {
      if (typeof v !== "string") return v;
      const word = v.trim().toLowerCase();
      return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : v;
    },
    z.boolean({ error: requiredOr("true or false") }),
  );
}

/** A list, or a single value standing for a list of one. */
function listOf<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (typeof v === "string" || typeof v === "number" ? [v] : v), z.array(item));
}

export const Ip = Text.refine((v) => isIP(v) !== 0, "not an IP address");

/**
 * A host name as an address with a port names the host: `web-01:9100` (Prometheus' `instance`) → `web-01`,
 * `[::1]:9100` and `[fe80::1]` → the IPv6 address. A bare IPv6 address (several colons) is left whole.
 */
export function hostWithoutPort(value: string): string {
  const bracketed = /^\[([0-9A-Fa-f:.%A-Za-z]+)\](?::\d{1,5})?$/.exec(value);
  if (bracketed && isIP(bracketed[1]!.split("%")[0]!) === 6) return bracketed[1]!;
  const withPort = /^([^:\s]+):\d{1,5}$/.exec(value);
  return withPort ? withPort[1]! : value;
}
/** A host or endpoint name; a `:port` suffix is dropped (see hostWithoutPort). */
const HostName = Text.transform(hostWithoutPort);
export const Port = numberish(
  z.number({ error: requiredOr("a port number") }).int("expected a whole port number").min(0, "a port is 0–65535").max(65535, "a port is 0–65535"),
);
export const TechniqueId = Text.transform((v) => v.toUpperCase()).pipe(
  z.string().regex(/^T\d{4}(\.\d{3})?$/, "expected an ATT&CK technique id such as T1071.004"),
);
export const Sha256 = Text.transform((v) => v.toLowerCase()).pipe(z.string().regex(/^[0-9a-f]{64}$/, "expected a SHA-256 hex digest (64 hex digits)"));
export const Confidence = numberish(z.number({ error: requiredOr("a number 0–100") }).min(0, "confidence is 0–100").max(100, "confidence is 0–100"));

/** "info" and any letter case are accepted; the stored severity is always one of SEVERITIES. */
export function parseSeverity(text: string): Severity | null {
  const word = text.trim().toLowerCase();
  const value = word === "info" ? "informational" : word;
  return (SEVERITIES as readonly string[]).includes(value) ? (value as Severity) : null;
}

export const SeverityInput = z.string({ error: requiredOr("a severity string") }).transform((text, ctx) => {
  const severity = parseSeverity(text);
  if (severity) return severity;
  ctx.addIssue({ code: "custom", message: `expected one of ${SEVERITIES.join(", ")} (or info), got "${text}"` });
  return z.NEVER;
});

/** "P1"–"P4" (any case) or 1–4: the sender's own priority. */
export const PriorityInput = z.union([z.string(), z.number()], { error: requiredOr("a priority P1–P4") }).transform((value, ctx) => {
  const match = /^p?([1-4])$/i.exec(String(value).trim());
  if (match) return `P${match[1]}` as Priority;
  ctx.addIssue({ code: "custom", message: `expected P1, P2, P3 or P4, got "${String(value)}"` });
  return z.NEVER;
});

const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * ISO-8601 (a missing offset means UTC) or epoch seconds / milliseconds (told apart by magnitude:
 * below 1e11 it is seconds, which covers dates up to the year 5138). Returns UTC ISO or null.
 */
export function parseAlertTime(value: string | number): string | null {
  let ms: number;
  if (typeof value === "number" || /^\d+(\.\d+)?$/.test(value.trim())) {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) return null;
    ms = n < 1e11 ? n * 1000 : n;
  } else {
    const match = ISO_DATE_TIME.exec(value.trim());
    if (!match) return null;
    const [, date, clock = "00:00", zone] = match;
    const offset = !zone ? "Z" : zone.toUpperCase() === "Z" ? "Z" : zone.includes(":") ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
    ms = Date.parse(`${date}T${clock}${offset}`);
  }
  if (!Number.isFinite(ms) || ms < 0 || ms > 253402300799999) return null;
  return new Date(ms).toISOString();
}

export const TimeInput = z
  .union([z.string(), z.number()], { error: "expected an ISO-8601 date-time or epoch seconds/milliseconds" })
  .transform((value, ctx) => {
    const iso = parseAlertTime(value);
    if (iso) return iso;
    ctx.addIssue({ code: "custom", message: `expected an ISO-8601 date-time or epoch seconds/milliseconds, got ${JSON.stringify(value)}` });
    return z.NEVER;
  });

/** An object whose unknown keys are kept (they end up in `unmapped`); null stands for absent. */
function looseObject<S extends z.ZodRawShape>(shape: S, expected: string) {
  const known = new Set(Object.keys(shape));
  return z.preprocess(
    (v) => (isPlainObject(v) ? Object.fromEntries(Object.entries(v).filter(([k, x]) => !(x === null && known.has(k)))) : v),
    z.looseObject(shape, { error: requiredOr(expected) }),
  );
}

/** A string standing for an object: `"web-01"` for `{name: "web-01"}`. */
function orString<T extends z.ZodType>(expand: (text: string) => Record<string, unknown>, schema: T) {
  return z.preprocess((v) => (typeof v === "string" ? expand(v.trim()) : v), schema);
}

export const expandRule = (text: string) => ({ id: text, title: text });
export const expandHost = (text: string) => ({ name: text });
export const expandUser = (text: string) => ({ name: text });
export const expandSrc = (text: string) => (isIP(text) ? { ip: text } : { hostname: text });
export const expandDst = (text: string) => (isIP(text) ? { ip: text } : { domain: text });

const RuleShape = { id: IdText.optional(), title: Text.optional(), level: Text.optional(), author: Text.optional(), source: Text.optional() };
const AttackShape = { tactics: listOf(Text).optional(), techniques: listOf(TechniqueId).optional() };
const HostShape = { name: HostName.optional(), ip: listOf(Ip).optional() };
const UserShape = { name: Text, domain: Text.optional() };
const EndpointShape = { ip: Ip.optional(), hostname: HostName.optional(), domain: HostName.optional(), port: Port.optional(), url: Text.optional() };
const Count = numberish(z.number({ error: requiredOr("a number") }).int("expected a whole number").min(0, "must not be negative"));
const NetworkShape = {
  protocol: Text.optional(),
  transport: Text.optional(),
  query_type: Text.optional(),
  response_code: Text.optional(),
  answers: listOf(Text).optional(),
  bytes_in: Count.optional(),
  bytes_out: Count.optional(),
};
const ProcessShape = {
  name: Text.optional(),
  command_line: Text.optional(),
  pid: Count.optional(),
  parent_name: Text.optional(),
  parent_command_line: Text.optional(),
  signed: booleanish().optional(),
  signer: Text.optional(),
  sha256: Sha256.optional(),
};
const EmailShape = {
  subject: Text.optional(),
  sender: Text.optional(),
  recipients: listOf(Text).optional(),
  recipient_count: Count.optional(),
  gateway_verdict: Text.optional(),
  gateway_action: Text.optional(),
  links: listOf(Text).optional(),
  attachments: listOf(Text).optional(),
  page_loaded: booleanish().optional(),
  credentials_submitted: booleanish().optional(),
  spf: Text.optional(),
  dkim: Text.optional(),
  dmarc: Text.optional(),
};
const ROLES = ["src", "dst", "actor", "target", "other"] as const;
const ObservableShape = {
  type: z.enum(OBSERVABLE_TYPES, { error: `expected one of ${OBSERVABLE_TYPES.join(", ")}` }),
  value: IdText,
  role: z.enum(ROLES, { error: `expected one of ${ROLES.join(", ")}` }).optional(),
};

export const RuleInput = orString(
  expandRule,
  looseObject(RuleShape, "a rule name or an object {id, title, level?, author?, source?}").refine(
    (rule) => rule.id !== undefined || rule.title !== undefined,
    { message: "a rule needs an id or a title", path: ["id"] },
  ),
);
export const HostInput = orString(expandHost, looseObject(HostShape, "a hostname or an object {name?, ip?}"));
export const UserInput = orString(expandUser, looseObject(UserShape, "a user name or an object {name, domain?}"));
export const SrcInput = orString(expandSrc, looseObject(EndpointShape, "an IP address or an object {ip?, hostname?, port?}"));
export const DstInput = orString(expandDst, looseObject(EndpointShape, "an IP address, a domain or an object {ip?, hostname?, domain?, port?, url?}"));

const GenericShape = {
  title: Text,
  time: TimeInput.optional(),
  severity: SeverityInput.optional(),
  source: Text.optional(),
  source_id: IdText.optional(),
  description: Text.optional(),
  confidence: Confidence.optional(),
  priority: PriorityInput.optional(),
  subtype: Text.optional(),
  rule: RuleInput.optional(),
  attack: looseObject(AttackShape, "an object {tactics?, techniques?}").optional(),
  host: HostInput.optional(),
  user: UserInput.optional(),
  src: SrcInput.optional(),
  dst: DstInput.optional(),
  network: looseObject(NetworkShape, "an object {protocol?, transport?, query_type?, response_code?, answers?}").optional(),
  process: looseObject(ProcessShape, "an object {name?, command_line?, pid?, …, sha256?}").optional(),
  email: looseObject(EmailShape, "an object {subject?, sender?, recipients?, …}").optional(),
  url: Text.optional(),
  observables: z.array(looseObject(ObservableShape, "an object {type, value, role?}"), { error: requiredOr("an array") }).optional(),
  raw: z.unknown().optional(),
  unmapped: z.record(z.string(), z.unknown(), { error: requiredOr("an object") }).optional(),
};

/** The generic JSON alert as a sender writes it. */
export const GenericAlertInput = looseObject(GenericShape, "a JSON object");
export type GenericAlertInput = z.input<typeof GenericAlertInput>;
/** The generic alert after validation (shapes expanded, values normalised). */
export type GenericAlert = z.output<typeof GenericAlertInput>;
/** Top-level keys of the generic alert, for readers that must tell them from unmapped columns. */
export const GENERIC_KEYS: readonly string[] = Object.keys(GenericShape);

const NESTED_SHAPES: Record<string, readonly string[]> = {
  rule: Object.keys(RuleShape),
  attack: Object.keys(AttackShape),
  host: Object.keys(HostShape),
  user: Object.keys(UserShape),
  src: Object.keys(EndpointShape),
  dst: Object.keys(EndpointShape),
  network: Object.keys(NetworkShape),
  process: Object.keys(ProcessShape),
  email: Object.keys(EmailShape),
};

export interface NormaliseContext {
  id: string;
  receivedAt: string;
  origin: AlertOrigin;
}

export interface Normalised {
  alert: Alert;
  /** The sender gave no time, so the alert time is the reception time (and says nothing about the content). */
  timeDefaulted: boolean;
}

function pick(value: Record<string, unknown> | undefined, keys: readonly string[]): Record<string, unknown> | null {
  if (!value) return null;
  const out: Record<string, unknown> = {};
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return Object.keys(out).length ? out : null;
}

function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const unique = <T>(values: T[]) => [...new Set(values)];

/** Keys no field took, nested ones as dotted paths (`host.os`). */
function collectUnmapped(input: GenericAlert): Record<string, unknown> {
  const record = input as Record<string, unknown>;
  const unmapped: Record<string, unknown> = { ...(input.unmapped ?? {}) };
  for (const [key, value] of Object.entries(record)) {
    if (!GENERIC_KEYS.includes(key)) {
      unmapped[key] = value;
      continue;
    }
    const shape = NESTED_SHAPES[key];
    if (shape && isPlainObject(value))
      for (const [inner, innerValue] of Object.entries(value)) if (!shape.includes(inner)) unmapped[`${key}.${inner}`] = innerValue;
  }
  input.observables?.forEach((observable, index) => {
    for (const [inner, innerValue] of Object.entries(observable))
      if (!(inner in ObservableShape)) unmapped[`observables[${index}].${inner}`] = innerValue;
  });
  return unmapped;
}

const CASE_INSENSITIVE: ReadonlySet<ObservableType> = new Set(["domain", "host", "email", "file_hash"]);

/** The explicit observables first (the sender's roles win), then those the fields imply; each (type, value) once. */
export function deriveObservables(alert: Omit<Alert, "observables">, explicit: Observable[], extraUrls: string[] = []): Observable[] {
  const out: Observable[] = [];
  const seen = new Set<string>();
  const add = (type: ObservableType, value: string | undefined, role?: Observable["role"]) => {
    const trimmed = value?.trim();
    if (!trimmed) return;
    const key = `${type}\u0001${CASE_INSENSITIVE.has(type) ? trimmed.toLowerCase() : trimmed}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(role ? { type, value: trimmed, role } : { type, value: trimmed });
  };
  for (const observable of explicit) add(observable.type, observable.value, observable.role);
  add("host", alert.host?.name);
  for (const ip of alert.host?.ip ?? []) add("ip", ip);
  add("user", alert.user?.name, "actor");
  for (const [endpoint, role] of [
    [alert.src, "src"],
    [alert.dst, "dst"],
  ] as const) {
    add("ip", endpoint?.ip, role);
    add("host", endpoint?.hostname, role);
    add("domain", endpoint?.domain, role);
    add("url", endpoint?.url, role);
  }
  for (const url of extraUrls) add("url", url);
  add("file_hash", alert.process?.sha256);
  add("email", alert.email?.sender, "src");
  for (const link of alert.email?.links ?? []) add("url", link);
  return out;
}

/** The core Alert for a validated generic alert. */
export function genericToAlert(input: GenericAlert, context: NormaliseContext): Normalised {
  const rule = input.rule
    ? {
        id: input.rule.id ?? input.rule.title!,
        title: input.rule.title ?? input.rule.id!,
        ...compact({ level: input.rule.level, author: input.rule.author, source: input.rule.source }),
      }
    : null;
  const host = pick(input.host, ["name", "ip"]);
  const unmapped = collectUnmapped(input);
  // The core alert has no top-level url: it is where the alert points, the destination's url.
  let dst = pick(input.dst, NESTED_SHAPES.dst!);
  const extraUrls: string[] = [];
  if (input.url !== undefined) {
    if (dst?.url === undefined) dst = { ...dst, url: input.url };
    else if (dst.url !== input.url) {
      unmapped.url = input.url;
      extraUrls.push(input.url);
    }
  }
  const draft = {
    schema_version: 1 as const,
    id: context.id,
    source: input.source ?? "generic",
    source_id: input.source_id ?? null,
    time: input.time ?? context.receivedAt,
    received_at: context.receivedAt,
    title: input.title,
    ...compact({ description: input.description, confidence: input.confidence, priority: input.priority, subtype: input.subtype }),
    severity: input.severity ?? "medium",
    rule,
    attack: { tactics: unique(input.attack?.tactics ?? []), techniques: unique(input.attack?.techniques ?? []) },
    host: host ? { ...host, ip: unique((host.ip as string[] | undefined) ?? []) } : null,
    user: pick(input.user, NESTED_SHAPES.user!),
    src: pick(input.src, NESTED_SHAPES.src!),
    dst,
    network: pick(input.network, NESTED_SHAPES.network!),
    process: pick(input.process, NESTED_SHAPES.process!),
    email: pick(input.email, NESTED_SHAPES.email!),
    raw: input.raw ?? null,
    unmapped,
    origin: context.origin,
  };
  const explicit = (input.observables ?? []).map((o) => compact({ type: o.type, value: o.value, role: o.role }));
  const observables = deriveObservables(draft as Omit<Alert, "observables">, explicit, extraUrls);
  // The core schema is the last word: a mapping defect surfaces here instead of in a later stage.
  const alert = Alert.parse({ ...draft, observables });
  return { alert, timeDefaulted: input.time === undefined };
}
