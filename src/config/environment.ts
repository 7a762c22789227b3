/**
 * Every environment variable `loadConfig` reads, with the setting it overrides (null: not a setting).
 * The configuration reference (docs/configuration.md) and the deployment files are checked against it;
 * environment.test.ts checks that each one really sets its key.
 */
export interface EnvironmentVariable {
  name: string;
  /** Dotted setting path, or null for NIGHTSHIFT_CONFIG (which names the file). */
  key: string | null;
  note?: string;
}

export const ENVIRONMENT_VARIABLES: readonly EnvironmentVariable[] = [
  { name: "NIGHTSHIFT_HOME", key: "home", note: "default ./data" },
  { name: "NIGHTSHIFT_CONFIG", key: null, note: "the YAML file to read instead of $NIGHTSHIFT_HOME/nightshift.yaml" },
  { name: "NIGHTSHIFT_DATABASE_URL", key: "database_url" },
  { name: "NIGHTSHIFT_HOST", key: "host" },
  { name: "NIGHTSHIFT_PORT", key: "port" },
  { name: "NIGHTSHIFT_TLS_CERT_FILE", key: "server.tls.cert_file" },
  { name: "NIGHTSHIFT_TLS_KEY_FILE", key: "server.tls.key_file" },
  { name: "NIGHTSHIFT_LOG_LEVEL", key: "log_level" },
  { name: "NIGHTSHIFT_WEBHOOK_SECRET", key: "webhook_secret" },
  { name: "NIGHTSHIFT_AUDIT_KEY", key: "audit_key" },
  { name: "NIGHTSHIFT_GROUPING_WINDOW_MINUTES", key: "grouping.window_minutes" },
  { name: "NIGHTSHIFT_RULES", key: "detect.rules", note: "folders separated by the path delimiter (: or ;)" },
  { name: "NIGHTSHIFT_EVENTS_RETENTION_DAYS", key: "events.retention_days" },
  { name: "NIGHTSHIFT_MODEL_URL", key: "crew.model.base_url" },
  { name: "NIGHTSHIFT_MODEL", key: "crew.model.model" },
  { name: "NIGHTSHIFT_MODEL_KEY", key: "crew.model.api_key" },
  { name: "NIGHTSHIFT_TORA_MODEL_URL", key: "crew.tiers.tora.base_url" },
  { name: "NIGHTSHIFT_TORA_MODEL", key: "crew.tiers.tora.model" },
  { name: "NIGHTSHIFT_TORA_MODEL_KEY", key: "crew.tiers.tora.api_key" },
  { name: "NIGHTSHIFT_VERA_MODEL_URL", key: "crew.tiers.vera.base_url" },
  { name: "NIGHTSHIFT_VERA_MODEL", key: "crew.tiers.vera.model" },
  { name: "NIGHTSHIFT_VERA_MODEL_KEY", key: "crew.tiers.vera.api_key" },
];
