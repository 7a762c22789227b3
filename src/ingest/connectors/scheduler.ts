import type { Config } from "../../config/index.js";
import type { Clock } from "../../core/index.js";
import type { Db } from "../../store/index.js";
import { buildConnectors } from "./registry.js";
import { emptySummary, runConnector, type RunSummary } from "./runner.js";
import type { Connector } from "./types.js";

export interface ScheduledConnector {
  connector: Connector;
  redact?: (text: string) => string;
}

export interface SchedulerOptions {
  clock?: Clock;
  /** After each run (errors included: they are in the summary and in health). */
  onRun?: (summary: RunSummary) => void;
}

export interface ConnectorScheduler {
  /** Stops the timers and waits for the runs in progress. */
  stop(): Promise<void>;
}

/**
 * Runs each connector at once, then every `intervalSeconds` after the previous run ended, so a slow
 * vendor never gets two overlapping runs of the same connector from this process.
 */
export function startConnectorScheduler(db: Db, connectors: ScheduledConnector[], options: SchedulerOptions = {}): ConnectorScheduler {
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  const wakers = new Set<() => void>();

  /** A wait that `stop` cuts short, so a long Retry-After does not hold the shutdown. */
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopped) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        timers.delete(timer);
        wakers.delete(done);
        resolve();
      }
      timers.add(timer);
      wakers.add(done);
    });

  const loop = async ({ connector, redact }: ScheduledConnector) => {
    while (!stopped) {
      const summary = await runConnector(db, connector, { clock: options.clock, redact, sleep }).catch(
        (error: unknown): RunSummary => emptySummary(connector, (redact ?? String)(error instanceof Error ? error.message : String(error))),
      );
      options.onRun?.(summary);
      if (stopped) break;
      await sleep(connector.intervalSeconds * 1000);
    }
  };

  for (const entry of connectors) {
    const promise = loop(entry).finally(() => running.delete(promise));
    running.add(promise);
  }
  return {
    async stop() {
      stopped = true;
      for (const wake of [...wakers]) wake();
      await Promise.all([...running]);
    },
  };
}

/**
 * What `serve` starts: the enabled connectors of the configuration on their intervals (none configured:
 * a scheduler that does nothing). Throws a ValidationError naming each bad connector setting.
 */
export function startConfiguredConnectors(
  db: Db,
  config: Pick<Config, "connectors">,
  options: SchedulerOptions & { env?: Record<string, string | undefined> } = {},
): ConnectorScheduler {
  const enabled = buildConnectors(config, options.env ?? process.env).filter((c) => c.enabled);
  return startConnectorScheduler(db, enabled.map(({ connector, redact }) => ({ connector, redact })), options);
}
