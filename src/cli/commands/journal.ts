import type { Command } from "commander";
import { buildJournalSite, writeAllDecisionPosts } from "../../journal/index.js";
import { action, printJson, withApp } from "../run.js";

export function register(program: Command) {
  program
    .command("journal")
    .description("the crew's journal")
    .command("build")
    .description("write every decision's post again, then render $NIGHTSHIFT_HOME/journal/posts as a static site in $NIGHTSHIFT_HOME/journal/site")
    .action(
      action(async () => {
        await withApp(async (app) => {
          const written = await writeAllDecisionPosts(app.store.db, app.config.home);
          printJson({ written, ...(await buildJournalSite(app.config.home)) });
        });
      }),
    );
}
