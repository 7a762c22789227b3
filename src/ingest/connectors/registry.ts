import type { z } from "zod";
import type { Config } from "../../config/index.js";
import { ValidationError } from "../../core/index.js";
import { zodIssues } from "../issues.js";
import { withMapping, type ConnectorMapping } from "./common.js";
import { kind as defender, devicesKind as defender_devices } from "./defender/index.js";
import { kind as elastic } from "./elastic/index.js";
import { kind as cowrie } from "./cowrie/index.js";
import { kind as opensearch_sa } from "./opensearch-sa/index.js";
import { kind as sentinel } from "./sentinel/index.js";
import { kind as suricata } from "./suricata/index.js";
import { kind as zeek } from "./zeek/index.js";
import { makeRedactor, readSecretsFile, resolveSecrets } from "./secrets.js";
import type { Connector } from "./types.js";
import { WazuhSettings, basicAuth, createWazuhConnector } from "./wazuh/client.js";

/** A connector kind: its settings schema and how to build it (each vendor folder exports one). */
export interface ConnectorKind<S extends z.ZodType> {
  settings: S;
  create(settings: z.output<S>, deps: { redact: (text: string) => string }): Connector;
  /** Derived secrets to redact too (a basic-auth token…). */
  derivedSecrets?(settings: z.output<S>): string[];
}

const wazuh: ConnectorKind<typeof WazuhSettings> = {
  settings: WazuhSettings,
  create: (settings, deps) => createWazuhConnector(settings, deps),
  derivedSecrets: (settings) => [basicAuth(settings.username, settings.password).slice("Basic ".length)],
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry of heterogeneous schemas
export const CONNECTOR_KINDS: Record<string, ConnectorKind<any>> = {
  wazuh,
  elastic,
  opensearch_sa,
  defender,
  defender_devices,
  sentinel,
  suricata,
  zeek,
  cowrie,
};

export interface ConfiguredConnector {
  connector: Connector;
  enabled: boolean;
  redact: (text: string) => string;
}

/**
 * Builds the configured connectors: `${NAME}` references resolved from the environment or the secrets
 * file, each entry validated by its kind. Every problem of every entry is reported at once, by path.
 */
export function buildConnectors(config: Pick<Config, "connectors">, env: Record<string, string | undefined> = process.env): ConfiguredConnector[] {
  const sources = config.connectors.sources;
  if (!sources.length) return [];
  const file = readSecretsFile(config.connectors.secrets_file);
  const issues: { path: string; message: string }[] = [];
  const built: ConfiguredConnector[] = [];
  sources.forEach((source, index) => {
    const at = `connectors.sources[${index}]`;
    const kind = CONNECTOR_KINDS[source.kind];
    if (!kind) {
      issues.push({ path: `${at}.kind`, message: `unknown connector kind "${source.kind}" (known: ${Object.keys(CONNECTOR_KINDS).join(", ")})` });
      return;
    }
    const resolved = resolveSecrets(source, { env, file });
    for (const miss of resolved.missing) issues.push({ path: `${at}.${miss.path}`, message: `\${${miss.name}} is not set in the environment or the secrets file` });
    if (resolved.missing.length) return;
    const parsed = kind.settings.safeParse(resolved.value);
    if (!parsed.success) {
      // Values are never echoed: a message could otherwise carry a resolved secret.
      for (const issue of zodIssues(parsed.error as z.ZodError)) issues.push({ path: issue.path ? `${at}.${issue.path}` : at, message: makeRedactor(resolved.secrets)(issue.message) });
      return;
    }
    const redact = makeRedactor([...resolved.secrets, ...(kind.derivedSecrets?.(parsed.data) ?? [])]);
    const settings = parsed.data as { mapping?: ConnectorMapping };
    const connector = kind.create(parsed.data, { redact });
    built.push({ connector: settings.mapping ? withMapping(connector, settings.mapping) : connector, enabled: source.enabled, redact });
  });
  if (issues.length) throw new ValidationError("invalid connector configuration", issues);
  return built;
}
