import type { Command } from "commander";
import { INTEL_FORMATS, importIntelFile, loadContextFile, type IntelFormat } from "../../context/index.js";
import { action, printJson, withApp } from "../run.js";

export function register(program: Command) {
  const context = program.command("context").description("organisation context: CMDB assets, identities, intel, suppressions");
  context
    .command("load <file>")
    .description("load assets and identities (CSV or JSON), or a JSON file with assets, identities, indicators, suppressions")
    .action(
      action(async (file: string) => {
        await withApp(async (app) => printJson({ file, ...(await loadContextFile(app.store.db, file, { clock: app.clock })) }));
      }),
    );
  context
    .command("import-intel <path>")
    .description(
      "import threat intel: a STIX 2.1 bundle, a MISP feed folder (manifest.json + events), a MISP event or CSV, or a plain list (one value a line, # comments)",
    )
    .option("--feed <name>", "feed name recorded on each indicator (default: the file name)")
    .option("--format <format>", `one of ${INTEL_FORMATS.join(", ")} (default: detected)`)
    .action(
      action(async (target: string, options: { feed?: string; format?: string }) => {
        if (options.format && !(INTEL_FORMATS as readonly string[]).includes(options.format))
          throw new Error(`--format must be one of ${INTEL_FORMATS.join(", ")}`);
        await withApp(async (app) =>
          printJson({
            path: target,
            ...(await importIntelFile(app.store.db, target, { feed: options.feed, format: options.format as IntelFormat | undefined, clock: app.clock })),
          }),
        );
      }),
    );
}
