import type { Command } from "commander";
import { buildJournalSite } from "../../journal/index.js";
import { action, printJson, withApp } from "../run.js";

export function register(program: Command) {
  program
    .command("journal")
    .description("the crew's journal")
    .command("build")
    .description("render $NIGHTSHIFT_HOME/journal/posts as a static site in $NIGHTSHIFT_HOME/journal/site")
    .action(
      action(async () => {
        await withApp(async (app) => printJson(await buildJournalSite(app.config.home)));
      }),
    );
}
