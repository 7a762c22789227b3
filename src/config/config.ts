import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { z } from "zod";
import { LOG_LEVELS, ValidationError, issuesOf, withoutPassword } from "../core/index.js";

/** One schema for all configuration; defaults make the embedded demo work. */
export const ConfigSchema = z.strictObject({
  home: z.string().min(1),
  /** postgres://user:pass@host:5432/db, or sqlite:/path/file.db (default: the SQLite file in home). */
  database_url: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|sqlite:)/, "expected a postgres:// or sqlite: URL")
    .optional(),
  host: z.string().default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(8700),
  /** The HTTP server itself: TLS termination (HTTPS when both files are set; reloaded when they change). */
  server: z
    .strictObject({
      tls: z
        .strictObject({
          /** PEM certificate chain (leaf first). */
          cert_file: z.string().min(1).optional(),
          /** PEM private key of the certificate. */
          key_file: z.string().min(1).optional(),
        })
        .refine((tls) => !tls.cert_file === !tls.key_file, "set both cert_file and key_file, or neither")
        .default({}),
    })
    .default({ tls: {} }),
  /** Level of the JSON logs of the server and worker (stderr): trace, debug, info, warn, error, fatal or silent. */
  log_level: z.enum(LOG_LEVELS).default("info"),
  /** Secret for HMAC-SHA256 signatures on the alert webhook; unset means signatures are not accepted. */
  webhook_secret: z.string().min(16).optional(),
  /** The audit chain's HMAC key (NIGHTSHIFT_AUDIT_KEY); unset: `$NIGHTSHIFT_HOME/audit.key`, created 0600 on first use. */
  audit_key: z.string().trim().min(32, "the audit key needs at least 32 characters").optional(),
  grouping: z
    .strictObject({
      /** An alert joins an open case that took the same rule on the same entity (same source) within this window. */
      window_minutes: z.coerce.number().int().positive().default(240),
      /** An alert of another rule joins an open incident on the same entity whose last alert is this close... */
      incident_minutes: z.coerce.number().int().min(0).default(60),
      /** ...if the incident began at most this long before, or the alert continues its ATT&CK kill chain. */
      incident_span_minutes: z.coerce.number().int().min(0).default(120),
      /** A rule that fired on the entity within this many hours before an incident began is routine: it does not join it. */
      routine_hours: z.coerce.number().min(0).default(24),
      /** Declared cross-source keys: the sources of one group share cases (a source in one group at most). */
      cross_source: z
        .array(z.strictObject({ name: z.string().trim().min(1), sources: z.array(z.string().trim().min(1)).min(2) }))
        .default([])
        .superRefine((groups, ctx) => {
          const seen = new Map<string, string>();
          groups.forEach((group, index) => {
            for (const source of group.sources) {
              const other = seen.get(source.toLowerCase());
              if (other !== undefined)
                ctx.addIssue({ code: "custom", path: [index, "sources"], message: `source "${source}" is already in cross-source group "${other}"` });
              seen.set(source.toLowerCase(), group.name);
            }
          });
        }),
    })
    .default({ window_minutes: 240, incident_minutes: 60, incident_span_minutes: 120, routine_hours: 24, cross_source: [] }),
  history: z
    .strictObject({ window_hours: z.coerce.number().positive().default(168) })
    .default({ window_hours: 168 }),
  suppression: z
    .strictObject({ max_age_days: z.coerce.number().positive().default(90) })
    .default({ max_age_days: 90 }),
  context: z
    .strictObject({
      /** An inventory sighting of an address still names its host this many days later (src/context/assets). */
      ip_stale_days: z.coerce.number().positive().default(7),
      /** An identity anomaly counts as recent this many days before the alert. */
      anomaly_window_days: z.coerce.number().positive().default(30),
      /** Enrichment older than this (days, per provenance axis) is flagged in `meta.stale`. */
      stale_after_days: z.record(z.string(), z.coerce.number().positive()).default({ asset: 90, identity: 30 }),
    })
    .default({ ip_stale_days: 7, anomaly_window_days: 30, stale_after_days: { asset: 90, identity: 30 } }),
  detect: z
    .strictObject({
      /** Folders of Sigma rules loaded beside (or instead of) the built-in pack. */
      rules: z.array(z.string().min(1)).default([]),
      /** The rule pack shipped with Nightshift (src/detect/rules); turn off to run only your own folders. */
      builtin_rules: z.boolean().default(true),
      /** Values for `%name%` placeholders (`|expand`), by name without the percent signs. */
      placeholders: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
      /** Extra logsource mapping files (same shape as src/detect/logsource/*.yml), applied after the shipped ones. */
      logsources: z.array(z.string().min(1)).default([]),
      /** Correlation windows of the live path (`events.detect`); `nightshift detect` judges its whole input. */
      correlation: z
        .strictObject({
          /** How far out of order (event time) a group's events may arrive and still be counted together. */
          lateness_seconds: z.coerce.number().nonnegative().default(3600),
        })
        .default({ lateness_seconds: 3600 }),
    })
    .default({ rules: [], builtin_rules: true, placeholders: {}, logsources: [], correlation: { lateness_seconds: 3600 } }),
  events: z
    .strictObject({
      /** Stored events older than this are deleted by the retention sweep. */
      retention_days: z.coerce.number().positive().default(30),
    })
    .default({ retention_days: 30 }),
  connectors: z
    .strictObject({
      /** `${NAME}` in a connector setting is read from the environment, else from this file (`NAME=value` lines or a JSON object). */
      secrets_file: z.string().min(1).optional(),
      /** Pull connectors; each kind validates its own settings (src/ingest/connectors/<kind>). */
      sources: z
        .array(
          z.looseObject({
            name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "letters, digits, '.', '_' or '-' (at most 64)"),
            kind: z.string().min(1),
            enabled: z.boolean().default(true),
            interval_seconds: z.coerce.number().positive().default(60),
          }),
        )
        .default([])
        .refine((sources) => new Set(sources.map((s) => s.name)).size === sources.length, "connector names must be unique"),
    })
    .default({ sources: [] }),
  crew: z
    .strictObject({
      /**
       * The model every tier uses unless its tier overrides it (src/crew/runtime/types.ts ModelSettings). Unset:
       * the deterministic analyst does the work. Environment: NIGHTSHIFT_MODEL_URL, NIGHTSHIFT_MODEL,
       * NIGHTSHIFT_MODEL_KEY, and per tier NIGHTSHIFT_TORA_MODEL_URL / _MODEL / _MODEL_KEY (VERA likewise).
       */
      model: z.looseObject({}).optional(),
      tiers: z.strictObject({ tora: z.looseObject({}).optional(), vera: z.looseObject({}).optional() }).default({}),
      /** Tool-loop steps (model requests) per run, per tier. */
      max_steps: z.strictObject({ tora: z.coerce.number().int().min(1).default(12), vera: z.coerce.number().int().min(1).default(24) }).default({ tora: 12, vera: 24 }),
      /** A failed model run is retried with exponential backoff from `base_seconds` up to `max_seconds`, `max_attempts` runs in all. */
      retry: z
        .strictObject({
          max_attempts: z.coerce.number().int().min(1).default(6),
          base_seconds: z.coerce.number().positive().default(60),
          max_seconds: z.coerce.number().positive().default(3600),
        })
        .default({ max_attempts: 6, base_seconds: 60, max_seconds: 3600 }),
    })
    .default({ tiers: {}, max_steps: { tora: 12, vera: 24 }, retry: { max_attempts: 6, base_seconds: 60, max_seconds: 3600 } }),
  /** The response tier (src/respond, README "Response (ARIA)"): policy, action connectors, notifications. */
  respond: z
    .strictObject({
      /** The autonomy policy (YAML or JSON); unset: the documented default policy. */
      policy_file: z.string().min(1).optional(),
      /** Action connectors; each kind validates its own settings (src/respond/connectors/<kind>); `${NAME}` as for connectors. */
      connectors: z
        .array(
          z.looseObject({
            name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "letters, digits, '.', '_' or '-' (at most 64)"),
            kind: z.string().min(1),
          }),
        )
        .default([])
        .refine((list) => new Set(list.map((c) => c.name)).size === list.length, "action connector names must be unique"),
      /** Where pending approvals and executed actions are announced (Slack- or Teams-compatible incoming webhook). */
      notify: z
        .strictObject({
          url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }),
          format: z.enum(["slack", "teams"]).default("slack"),
          /** The console or API base URL that messages link to. */
          link_base: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).optional(),
          timeout_seconds: z.coerce.number().positive().max(120).default(10),
        })
        .optional(),
    })
    .default({ connectors: [] }),
  webhooks: z
    .strictObject({
      /**
       * POST /api/v1/webhooks/{name}: each sender has a template (built-in name or inline) and its own auth.
       * Checked in shape here; templates, `${NAME}` secrets and auth settings are validated in full when the
       * server starts (src/ingest/templates).
       */
      senders: z
        .array(
          z.looseObject({
            name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "letters, digits, '.', '_' or '-' (at most 64)"),
            template: z.union([z.string().min(1), z.record(z.string(), z.unknown())], { error: "expected a built-in template name or an inline template" }),
            auth: z.looseObject({ type: z.enum(["hmac", "token", "basic"], { error: "auth.type must be hmac, token or basic" }) }),
            enabled: z.boolean().default(true),
          }),
        )
        .default([])
        .refine((senders) => new Set(senders.map((s) => s.name)).size === senders.length, "webhook sender names must be unique"),
    })
    .default({ senders: [] }),
});
export type Config = z.infer<typeof ConfigSchema>;

type Env = Record<string, string | undefined>;

/**
 * Reads `$NIGHTSHIFT_HOME/nightshift.yaml` (or `NIGHTSHIFT_CONFIG`) when present, then lets the
 * environment override it. Throws a ValidationError naming each bad setting.
 */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const home = path.resolve(overrides.home ?? env.NIGHTSHIFT_HOME ?? "./data");
  const named = env.NIGHTSHIFT_CONFIG;
  const file = named ? path.resolve(named) : path.join(home, "nightshift.yaml");
  if (named && !existsSync(file)) throw new ValidationError(`NIGHTSHIFT_CONFIG names ${file}, which does not exist`, []);
  const fromFile = existsSync(file) ? readConfigFile(file) : {};
  const fromEnv: Record<string, unknown> = {};
  if (env.NIGHTSHIFT_DATABASE_URL) fromEnv.database_url = env.NIGHTSHIFT_DATABASE_URL;
  if (env.NIGHTSHIFT_HOST) fromEnv.host = env.NIGHTSHIFT_HOST;
  if (env.NIGHTSHIFT_PORT) fromEnv.port = env.NIGHTSHIFT_PORT;
  if (env.NIGHTSHIFT_LOG_LEVEL) fromEnv.log_level = env.NIGHTSHIFT_LOG_LEVEL;
  if (env.NIGHTSHIFT_TLS_CERT_FILE || env.NIGHTSHIFT_TLS_KEY_FILE) {
    const server = (fromFile.server ?? {}) as { tls?: object };
    fromEnv.server = {
      ...server,
      tls: { ...server.tls, ...(env.NIGHTSHIFT_TLS_CERT_FILE ? { cert_file: env.NIGHTSHIFT_TLS_CERT_FILE } : {}), ...(env.NIGHTSHIFT_TLS_KEY_FILE ? { key_file: env.NIGHTSHIFT_TLS_KEY_FILE } : {}) },
    };
  }
  if (env.NIGHTSHIFT_WEBHOOK_SECRET) fromEnv.webhook_secret = env.NIGHTSHIFT_WEBHOOK_SECRET;
  if (env.NIGHTSHIFT_AUDIT_KEY) fromEnv.audit_key = env.NIGHTSHIFT_AUDIT_KEY;
  if (env.NIGHTSHIFT_GROUPING_WINDOW_MINUTES)
    fromEnv.grouping = { ...(fromFile.grouping as object), window_minutes: env.NIGHTSHIFT_GROUPING_WINDOW_MINUTES };
  if (env.NIGHTSHIFT_RULES)
    fromEnv.detect = { ...(fromFile.detect as object), rules: env.NIGHTSHIFT_RULES.split(path.delimiter).filter(Boolean) };
  if (env.NIGHTSHIFT_EVENTS_RETENTION_DAYS)
    fromEnv.events = { ...(fromFile.events as object), retention_days: env.NIGHTSHIFT_EVENTS_RETENTION_DAYS };
  const crew = crewFromEnv(env, fromFile.crew);
  if (crew) fromEnv.crew = crew;
  const result = ConfigSchema.safeParse({ ...fromFile, ...fromEnv, ...overrides, home });
  if (!result.success) {
    const where = existsSync(file) ? ` (${file} and the NIGHTSHIFT_* environment)` : "";
    throw new ValidationError(`invalid configuration${where}`, configIssues(result.error).map((issue) => ({ ...issue, message: withoutPassword(issue.message) })));
  }
  return result.data;
}

/** The YAML file as a mapping; a syntax error names the file, line and column. */
function readConfigFile(file: string): Record<string, unknown> {
  const document = parseDocument(readFileSync(file, "utf8"), { prettyErrors: true });
  const error = document.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    throw new ValidationError(`${file}${at ? `:${at.line}:${at.col}` : ""}: not valid YAML: ${error.message.split("\n")[0]}`, []);
  }
  const parsed: unknown = document.toJS();
  if (parsed == null) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) throw new ValidationError(`${file}: configuration must be a mapping`, []);
  return parsed as Record<string, unknown>;
}

/** Issues by setting path; an unknown key is named by its own path (`grouping.window_minute`), not its parent's. */
function configIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.flatMap((issue) => {
    if (issue.code !== "unrecognized_keys") return issuesOf({ issues: [issue] });
    return issue.keys.map((key) => ({ path: [...issue.path.map(String), key].join("."), message: "unknown setting" }));
  });
}

/** NIGHTSHIFT_MODEL_URL (and per-tier NIGHTSHIFT_<TIER>_MODEL_URL) over the file's `crew` section. */
function crewFromEnv(env: Env, fileCrew: unknown): Record<string, unknown> | null {
  const modelFrom = (prefix: string, base: unknown): Record<string, unknown> | undefined => {
    const url = env[`${prefix}MODEL_URL`];
    const name = env[`${prefix}MODEL`];
    const key = env[`${prefix}MODEL_KEY`];
    if (!url && !name && !key) return undefined;
    const out: Record<string, unknown> = { ...(base && typeof base === "object" ? base : {}) };
    if (url) out.base_url = url;
    if (name) out.model = name;
    if (key) out.api_key = key;
    return out;
  };
  const crew: Record<string, unknown> = { ...(fileCrew && typeof fileCrew === "object" ? (fileCrew as Record<string, unknown>) : {}) };
  let changed = false;
  const model = modelFrom("NIGHTSHIFT_", crew.model);
  if (model) {
    crew.model = { model: "default", ...model };
    changed = true;
  }
  const tiers: Record<string, unknown> = { ...(crew.tiers && typeof crew.tiers === "object" ? (crew.tiers as Record<string, unknown>) : {}) };
  for (const tier of ["tora", "vera"]) {
    const override = modelFrom(`NIGHTSHIFT_${tier.toUpperCase()}_`, tiers[tier]);
    if (override) {
      tiers[tier] = override;
      changed = true;
    }
  }
  if (!changed) return null;
  crew.tiers = tiers;
  return crew;
}
