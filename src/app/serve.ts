import path from "node:path";
import { startConfiguredConnectors } from "../ingest/connectors/index.js";
import { buildJournalSite } from "../journal/index.js";
import { startHttpServer } from "../server/index.js";
import { logger } from "../core/index.js";
import { startPipelineWorker, type App } from "./app.js";
import { configureLogging } from "./logging.js";
import { purgeExpiredEvents } from "./detection.js";

const RETENTION_SWEEP_MS = 60 * 60 * 1000;

export interface RunningService {
  url: string;
  stop(): Promise<void>;
}

/**
 * Serves the API and the journal, and works the queue in the background; the worker rebuilds the journal
 * site after the posts it writes (a hand-off after each journal job commits, see `startPipelineWorker`).
 */
export async function serveApp(app: App, options: { worker?: boolean } = {}): Promise<RunningService> {
  configureLogging(app.config, app.store.db);
  const siteDir = path.join(app.journalDir, "site");
  await buildJournalSite(app.config.home);
  const server = await startHttpServer(
    { db: app.store.db, config: app.config, clock: app.clock, journalDir: siteDir },
    { host: app.config.host, port: app.config.port, tls: app.config.server.tls },
  );
  // Without the worker, the API only takes alerts in; `nightshift shift run` works the queue elsewhere.
  const stopWorker = options.worker === false ? async () => {} : startPipelineWorker(app);
  // Only the process that works the queue sweeps, so an API-only front end never deletes behind a worker.
  const sweep =
    options.worker === false
      ? undefined
      : setInterval(() => {
          purgeExpiredEvents(app).catch((error: unknown) => logger().error({ err: error }, "event retention sweep failed"));
        }, RETENTION_SWEEP_MS);
  sweep?.unref();
  // Pull connectors run beside the worker (same rule: an API-only front end does not pull).
  const connectors =
    options.worker === false
      ? undefined
      : startConfiguredConnectors(app.store.db, app.config, {
          clock: app.clock,
          onRun: (summary) => {
            if (summary.error) logger().warn({ connector: summary.name, error: summary.error }, "connector run failed");
          },
        });
  logger().info({ url: server.url, worker: options.worker !== false, store: app.store.kind }, "serving");
  return {
    url: server.url,
    async stop() {
      clearInterval(sweep);
      await connectors?.stop();
      await stopWorker();
      await server.close();
    },
  };
}
