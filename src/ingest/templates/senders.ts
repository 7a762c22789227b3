import { createHmac } from "node:crypto";
import { z } from "zod";
import { ValidationError, sameBytes, sameText, type Clock } from "../../core/index.js";
import { ConnectorMapping, applyMapping } from "../connectors/common.js";
import { readSecretsFile, resolveSecrets } from "../connectors/secrets.js";
import { parseSeverity } from "../formats/generic.js";
import { prefixPath, zodIssues, type Issue } from "../issues.js";
import { BUILTIN_TEMPLATES, BUILTIN_TEMPLATE_NAMES } from "./builtin.js";
import { TemplateError, applyTemplate, compileTemplate, type CompiledTemplate, type TemplateOutput } from "./template.js";

/** A signed request older or newer than this is refused, so a captured request cannot be replayed later. */
export const MAX_WEBHOOK_SKEW_MS = 5 * 60_000;

const HeaderName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "not a valid HTTP header name")
  .transform((name) => name.toLowerCase());

const HmacAuth = z.strictObject({
  type: z.literal("hmac"),
  secret: z.string().min(16, "an HMAC secret needs at least 16 characters"),
  header: HeaderName.default("x-nightshift-signature"),
  /** Text before the digest in the header, e.g. `sha256=`; "" when the header carries the bare digest. */
  prefix: z.string().default("sha256="),
  /** When set, the header is required, the HMAC covers `${timestamp}.${body}` and must be within 5 minutes. */
  timestamp_header: HeaderName.optional(),
  encoding: z.enum(["hex", "base64"]).default("hex"),
});
const TokenAuth = z.strictObject({
  type: z.literal("token"),
  header: HeaderName.default("authorization"),
  /** The whole header value, e.g. `Bearer ${GRAFANA_HOOK_TOKEN}`. */
  value: z.string().min(16, "a token header value needs at least 16 characters"),
});
const BasicAuth = z.strictObject({
  type: z.literal("basic"),
  username: z.string().min(1),
  password: z.string().min(12, "a basic-auth password needs at least 12 characters"),
});
export const SenderAuth = z.discriminatedUnion("type", [HmacAuth, TokenAuth, BasicAuth], {
  error: "auth.type must be hmac, token or basic",
});
export type SenderAuth = z.output<typeof SenderAuth>;

const SeverityTable = z.record(
  z.string(),
  z.string().transform((text, ctx) => {
    const severity = parseSeverity(text);
    if (severity) return severity;
    ctx.addIssue({ code: "custom", message: `expected informational, low, medium, high or critical, got "${text}"` });
    return z.NEVER;
  }),
);

export const SenderSpec = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "letters, digits, '.', '_' or '-' (at most 64)"),
  /** A built-in template name or an inline template. */
  template: z.union([z.string().min(1), z.record(z.string(), z.unknown())], { error: "expected a built-in template name or an inline template" }),
  auth: SenderAuth,
  /** Native severity → Nightshift severity, over the template's table; `default` for anything else. */
  severity: SeverityTable.optional(),
  mapping: ConnectorMapping,
  enabled: z.boolean().default(true),
});
export type SenderSpec = z.input<typeof SenderSpec>;

export interface Sender {
  name: string;
  enabled: boolean;
  auth: SenderAuth;
  template: CompiledTemplate;
  mapping: ConnectorMapping;
}

export interface SenderSecrets {
  env: Record<string, string | undefined>;
  /** `connectors.secrets_file`: `NAME=value` lines or a JSON object. */
  secretsFile?: string;
}

/**
 * Validates every sender at startup: shape, `${NAME}` secrets (environment, then the secrets file), the
 * template (built-in or inline) and its expressions. Throws one ValidationError listing every issue, with
 * paths such as `webhooks.senders[1].auth.secret`.
 */
export function compileSenders(webhooks: { senders?: unknown[] } | undefined, secrets: SenderSecrets): Map<string, Sender> {
  const senders = new Map<string, Sender>();
  const list = webhooks?.senders ?? [];
  if (!list.length) return senders;
  const issues: Issue[] = [];
  const names = new Set<string>();
  let file: Record<string, string> = {};
  try {
    file = readSecretsFile(secrets.secretsFile);
  } catch (error) {
    throw new ValidationError("invalid webhook configuration", [
      { path: "connectors.secrets_file", message: error instanceof Error ? error.message : String(error) },
    ]);
  }
  list.forEach((raw, index) => {
    const at = `webhooks.senders[${index}]`;
    // Secrets first: a length rule must judge the secret, not the `${NAME}` that stands for it.
    const resolved = resolveSecrets(raw, { env: secrets.env, file }, at);
    for (const { path, name } of resolved.missing)
      issues.push({ path, message: `\${${name}} is not set in the environment or the secrets file` });
    if (resolved.missing.length) return;
    const parsed = SenderSpec.safeParse(resolved.value);
    if (!parsed.success) {
      for (const issue of zodIssues(parsed.error)) issues.push({ path: prefixPath(at, issue.path), message: issue.message });
      return;
    }
    const spec = parsed.data;
    if (names.has(spec.name)) {
      issues.push({ path: `${at}.name`, message: `sender "${spec.name}" is defined twice` });
      return;
    }
    names.add(spec.name);
    let templateSpec: unknown = spec.template;
    if (typeof spec.template === "string") {
      templateSpec = BUILTIN_TEMPLATES[spec.template];
      if (!templateSpec) {
        issues.push({ path: `${at}.template`, message: `unknown template "${spec.template}"; built-in: ${BUILTIN_TEMPLATE_NAMES.join(", ")}` });
        return;
      }
    }
    try {
      const template = compileTemplate(templateSpec, `${at}.template`, { severity: spec.severity });
      senders.set(spec.name, { name: spec.name, enabled: spec.enabled, auth: spec.auth, template, mapping: spec.mapping });
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      issues.push(...error.issues);
    }
  });
  if (issues.length) throw new ValidationError(`invalid webhook configuration: ${issues[0]!.path}: ${issues[0]!.message}`, issues);
  return senders;
}

export type AuthCheck = { ok: true } | { ok: false; reason: string };


function bytesOf(body: Uint8Array): Buffer {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** The header value a sender with HMAC auth sends for a body (for tests and for documentation). */
export function signForSender(auth: Extract<SenderAuth, { type: "hmac" }>, body: string | Uint8Array, timestamp?: string): string {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : bytesOf(body);
  const payload = timestamp === undefined ? bytes : Buffer.concat([Buffer.from(`${timestamp}.`, "utf8"), bytes]);
  return `${auth.prefix}${createHmac("sha256", auth.secret).update(payload).digest(auth.encoding)}`;
}

function epochMs(value: string): number | null {
  if (!/^\d{1,16}$/.test(value)) return null;
  const n = Number(value);
  return n < 1e11 ? n * 1000 : n;
}

/**
 * Checks a request against the sender's credential. HMAC covers the raw body bytes (and the timestamp when
 * configured); every comparison is constant-time. Nightshift API tokens are never accepted here.
 */
export function verifySenderAuth(
  auth: SenderAuth,
  request: { header: (name: string) => string | undefined; body: Uint8Array },
  clock: Clock,
): AuthCheck {
  switch (auth.type) {
    case "hmac": {
      const given = request.header(auth.header)?.trim();
      if (!given) return { ok: false, reason: `missing ${auth.header} header` };
      let timestamp: string | undefined;
      if (auth.timestamp_header) {
        timestamp = request.header(auth.timestamp_header)?.trim();
        if (!timestamp) return { ok: false, reason: `missing ${auth.timestamp_header} header` };
        const at = epochMs(timestamp);
        if (at === null) return { ok: false, reason: "timestamp must be epoch seconds" };
        if (Math.abs(clock.now().getTime() - at) > MAX_WEBHOOK_SKEW_MS)
          return { ok: false, reason: "timestamp is more than 5 minutes away from the server time" };
      }
      if (!given.startsWith(auth.prefix)) return { ok: false, reason: `signature must start with "${auth.prefix}"` };
      const expected = signForSender(auth, request.body, timestamp).slice(auth.prefix.length);
      const digest = given.slice(auth.prefix.length);
      const a = Buffer.from(auth.encoding === "hex" ? digest.toLowerCase() : digest, "utf8");
      const b = Buffer.from(expected, "utf8");
      if (!sameBytes(a, b)) return { ok: false, reason: "signature does not match" };
      return { ok: true };
    }
    case "token": {
      const given = request.header(auth.header);
      if (given === undefined) return { ok: false, reason: `missing ${auth.header} header` };
      return sameText(given.trim(), auth.value.trim()) ? { ok: true } : { ok: false, reason: "invalid credentials" };
    }
    case "basic": {
      const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(request.header("authorization") ?? "");
      if (!match) return { ok: false, reason: "Authorization header must be `Basic <base64>`" };
      const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const user = colon < 0 ? decoded : decoded.slice(0, colon);
      const password = colon < 0 ? "" : decoded.slice(colon + 1);
      // Both compared every time, so a wrong user name takes as long as a wrong password.
      const userOk = sameText(user, auth.username);
      const passwordOk = sameText(password, auth.password);
      return userOk && passwordOk ? { ok: true } : { ok: false, reason: "invalid credentials" };
    }
  }
}

/** Template + the sender's host/user/priority tables: the generic alerts to ingest, with their record paths. */
export function mapSenderPayload(sender: Sender, payload: unknown): TemplateOutput {
  const output = applyTemplate(sender.template, payload, { sender: sender.name });
  return { ...output, alerts: output.alerts.map((item) => ({ ...item, alert: applyMapping(item.alert, sender.mapping) as Record<string, unknown> })) };
}
