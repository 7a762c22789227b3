import type { z } from "zod";
import { NotFoundError, ValidationError, issuesOf } from "../../core/index.js";
import { makeRedactor, readSecretsFile, resolveSecrets } from "../../ingest/connectors/secrets.js";
import type { ActionName } from "../actions/index.js";
import { kind as defender } from "./defender/index.js";
import { kind as entra } from "./entra/index.js";
import { RECORD_ONLY_NAME, createRecordOnlyConnector, kind as record_only } from "./record-only/index.js";
import type { ConnectorKind } from "./registry-types.js";
import type { ActionConnector } from "./types.js";
import { kind as webhook } from "./webhook/index.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry of heterogeneous schemas
export const ACTION_CONNECTOR_KINDS: Record<string, ConnectorKind<any>> = { defender, entra, webhook, record_only };

/** The part of the configuration the connectors are built from (`respond.connectors`, `connectors.secrets_file`). */
export interface ActionConnectorConfig {
  respond: { connectors: { name: string; kind: string }[] };
  connectors: { secrets_file?: string };
}

/**
 * The configured action connectors, then the built-in record-only one (`record-only`) unless an entry
 * takes that name: every action has somewhere to go. `${NAME}` references are resolved from the environment
 * or the secrets file; every problem of every entry is reported at once, by path, never echoing a value.
 */
export function buildActionConnectors(config: ActionConnectorConfig, env: Record<string, string | undefined> = process.env, deps: { send?: typeof fetch } = {}): ActionConnector[] {
  const entries = config.respond.connectors;
  const file = entries.length ? readSecretsFile(config.connectors.secrets_file) : {};
  const issues: { path: string; message: string }[] = [];
  const built: ActionConnector[] = [];
  entries.forEach((entry, index) => {
    const at = `respond.connectors[${index}]`;
    const kind = ACTION_CONNECTOR_KINDS[entry.kind];
    if (!kind) {
      issues.push({ path: `${at}.kind`, message: `unknown action connector kind "${entry.kind}" (known: ${Object.keys(ACTION_CONNECTOR_KINDS).join(", ")})` });
      return;
    }
    const resolved = resolveSecrets(entry, { env, file });
    for (const miss of resolved.missing) issues.push({ path: `${at}.${miss.path}`, message: `\${${miss.name}} is not set in the environment or the secrets file` });
    if (resolved.missing.length) return;
    const parsed = kind.settings.safeParse(resolved.value);
    if (!parsed.success) {
      const redact = makeRedactor(resolved.secrets);
      for (const issue of issuesOf(parsed.error as z.ZodError)) issues.push({ path: issue.path ? `${at}.${issue.path}` : at, message: redact(issue.message) });
      return;
    }
    built.push(kind.create(parsed.data, { redact: makeRedactor(resolved.secrets), send: deps.send }));
  });
  if (issues.length) throw new ValidationError("invalid action connector configuration", issues);
  if (!built.some((c) => c.name === RECORD_ONLY_NAME)) built.push(createRecordOnlyConnector());
  return built;
}

/** The connector for an action: the named one (which must carry it out), else the first configured that does. */
export function pickConnector(connectors: ActionConnector[], action: ActionName, name?: string | null): ActionConnector {
  if (name) {
    const named = connectors.find((c) => c.name === name);
    if (!named) throw new NotFoundError(`action connector ${name}`);
    if (!named.actions.includes(action)) throw new ValidationError(`connector ${name} does not carry out ${action}`, [{ path: "connector", message: `${named.kind} connectors carry out ${named.actions.join(", ")}` }]);
    return named;
  }
  const found = connectors.find((c) => c.actions.includes(action));
  if (!found) throw new NotFoundError(`an action connector for ${action}`);
  return found;
}
