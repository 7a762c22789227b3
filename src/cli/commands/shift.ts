import type { Command } from "commander";
import { shiftSummary, startPipelineWorker, workUntilIdle } from "../../app/index.js";
import { writeShiftReview } from "../../journal/index.js";
import { queueCounts } from "../../store/index.js";
import { action, printJson, withApp } from "../run.js";
import { waitForSignal } from "../signals.js";

export function register(program: Command) {
  const shift = program.command("shift").description("work the alert queue");
  shift
    .command("run")
    .description("enrich, group and triage queued alerts into cases and write the journal posts")
    .option("--until-idle", "stop when nothing is left to do (default: keep working until interrupted)")
    .action(
      action(async (options: { untilIdle?: boolean }) => {
        await withApp(async (app) => {
          const started = app.clock.now();
          if (options.untilIdle) {
            const stats = await workUntilIdle(app);
            const reclaimed = stats.reclaimed ? `, ${stats.reclaimed} taken over from stopped workers (${stats.reclaimedFrom!.join(", ")})` : "";
            const later = (await queueCounts(app.store.db)).queued ?? 0;
            process.stderr.write(`worked ${stats.processed} jobs, ${stats.failed} failed${reclaimed}${later ? `; ${later} queued for a retry later` : ""}\n`);
          } else {
            const stop = startPipelineWorker(app);
            process.stderr.write("working the queue; Ctrl-C to stop\n");
            await waitForSignal();
            await stop();
          }
          const day = started.toISOString().slice(0, 10);
          await writeShiftReview(app.store.db, app.config.home, {
            shift: day,
            from: `${day}T00:00:00.000Z`,
            to: app.clock.now().toISOString(),
            clock: app.clock,
          });
          printJson(await shiftSummary(app.store.db));
        });
      }),
    );
}
