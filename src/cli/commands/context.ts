import type { Command } from "commander";
import { loadContextFile } from "../../context/index.js";
import { action, printJson, withApp } from "../run.js";

export function register(program: Command) {
  program
    .command("context")
    .description("organisation context: CMDB assets, identities, intel, suppressions")
    .command("load <file>")
    .description("load assets and identities (CSV or JSON), or a JSON file with assets, identities, indicators, suppressions")
    .action(
      action(async (file: string) => {
        await withApp(async (app) => printJson({ file, ...(await loadContextFile(app.store.db, file, { clock: app.clock })) }));
      }),
    );
}
