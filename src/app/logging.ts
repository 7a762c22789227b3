import type { Config } from "../config/index.js";
import { logger, registerSecrets } from "../core/index.js";
import { readSecretsFile } from "../ingest/connectors/index.js";
import { auditKeyOf, type Db } from "../store/index.js";

/** Setting names whose values are secrets, wherever they sit in connector, sender or model settings. */
const SECRET_KEY = /(secret|password|passwd|token|api_?key|private_?key|credential|authorization)/i;
/** Environment variables whose values are secrets (NIGHTSHIFT_MODEL_KEY, DEFENDER_CLIENT_SECRET…). */
const SECRET_ENV = /(SECRET|PASSWORD|PASSWD|TOKEN|_KEY$|^KEY$|API_?KEY|CREDENTIAL)/i;
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Every secret the configuration names or refers to: the webhook and audit keys, model API keys and
 * headers, secret-named settings of connectors and webhook senders, the values their `${NAME}` references
 * resolve to (environment or secrets file), and secret-named environment variables.
 */
export function configuredSecrets(config: Config, env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  let file: Record<string, string> = {};
  try {
    file = readSecretsFile(config.connectors.secrets_file);
  } catch {
    // A broken secrets file is reported by the connectors that need it; its values cannot be known here.
  }
  const walk = (node: unknown, secretByName: boolean): void => {
    if (typeof node === "string") {
      if (secretByName) out.push(node);
      for (const [, name] of node.matchAll(REFERENCE)) out.push(env[name!] ?? file[name!] ?? "");
    } else if (Array.isArray(node)) node.forEach((item) => walk(item, secretByName));
    else if (node && typeof node === "object") for (const [key, value] of Object.entries(node)) walk(value, secretByName || SECRET_KEY.test(key));
  };
  walk({ webhook_secret: config.webhook_secret, audit_key: config.audit_key }, true);
  walk(config.connectors, false);
  walk(config.webhooks, false);
  walk(config.crew, false);
  const headers = [config.crew.model, ...Object.values(config.crew.tiers)].map((m) => (m as { headers?: Record<string, unknown> } | undefined)?.headers);
  for (const h of headers) if (h) walk(h, true);
  out.push(...Object.values(file));
  for (const [name, value] of Object.entries(env)) if (value && SECRET_ENV.test(name)) out.push(value);
  return out;
}

/** Sets the process's logger to the configured level and registers every secret it must never write. */
export function configureLogging(config: Config, db?: Db, env: Record<string, string | undefined> = process.env): void {
  registerSecrets(configuredSecrets(config, env));
  const key = db ? auditKeyOf(db) : null;
  if (key) registerSecrets([key.secret.toString("utf8"), key.secret.toString("hex")]);
  logger().level = config.log_level;
}
