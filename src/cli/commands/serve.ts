import type { Command } from "commander";
import { serveApp } from "../../app/index.js";
import { action, withApp } from "../run.js";
import { waitForSignal } from "../signals.js";

export function register(program: Command) {
  program
    .command("serve")
    .description("serve the API and the journal of an existing $NIGHTSHIFT_HOME and work the queue (no demo data)")
    .option("--no-worker", "only serve; leave the queue to `nightshift shift run` processes")
    .action(
      action(async (options: { worker: boolean }) => {
        await withApp(async (app) => {
          const service = await serveApp(app, { worker: options.worker });
          process.stderr.write(
            `Nightshift on ${service.url} — API ${service.url}/api/v1, OpenAPI ${service.url}/api/docs, journal ${service.url}/journal/\n` +
              "Every route but /healthz, /readyz and /api/docs needs a token: nightshift token create --role viewer\n",
          );
          await waitForSignal();
          await service.stop();
        });
      }),
    );
}
