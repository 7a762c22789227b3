import type { Clock } from "../core/index.js";
import { buildActionConnectors, type ActionConnector, type ActionConnectorConfig } from "./connectors/index.js";
import type { ExecuteDeps } from "./execute/index.js";
import { createWebhookNotifier, type Notifier, type NotifySettings } from "./notify/index.js";
import { loadPolicy, type AutonomyPolicy } from "./policy/index.js";

/** The configuration the response tier reads (`respond` and `connectors.secrets_file` of nightshift.yaml). */
export interface ResponseConfig extends ActionConnectorConfig {
  respond: ActionConnectorConfig["respond"] & { policy_file?: string; notify?: NotifySettings };
}

export interface ResponseServices {
  policy: AutonomyPolicy;
  connectors: ActionConnector[];
  notifier: Notifier | null;
  /** What executeAction / pollAction take. */
  executeDeps(options?: Partial<ExecuteDeps>): ExecuteDeps;
}

/**
 * Everything the response tier needs, from the configuration: the policy (file or default), the action
 * connectors (validated, secrets resolved) and the notifier. Throws a ValidationError naming each problem.
 */
export function responseServices(config: ResponseConfig, clock: Clock, env: Record<string, string | undefined> = process.env): ResponseServices {
  const policy = loadPolicy(config.respond.policy_file);
  const connectors = buildActionConnectors(config, env);
  const notifier = config.respond.notify ? createWebhookNotifier(config.respond.notify, { clock }) : null;
  return { policy, connectors, notifier, executeDeps: (options = {}) => ({ connectors, clock, notifier, policy, ...options }) };
}
