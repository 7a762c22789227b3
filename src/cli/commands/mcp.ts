import type { Command } from "commander";
import { serveMcpStdio } from "../../crew/mcp/index.js";
import { tokenActorName } from "../../server/index.js";
import { givenToken, tokenHolder } from "../token.js";
import { reportError, withApp } from "../run.js";

const NO_TOKEN =
  "nightshift mcp needs an API token: --token <value> or NIGHTSHIFT_TOKEN (create one with `nightshift token create --role analyst --name <who>`)";

export function register(program: Command) {
  program
    .command("mcp")
    .description(
      "serve the crew's SOC tools over the Model Context Protocol on stdin/stdout, under an API token's role " +
        "(viewer: read tools; analyst, admin: also comment, update cases, propose actions)",
    )
    .option("--token <value>", "the API token (prefer NIGHTSHIFT_TOKEN: a command-line argument is visible to other users)")
    .action(async (options: { token?: string }) => {
      try {
        const token = givenToken(options.token, NO_TOKEN);
        if (!token) return;
        await withApp(async (app) => {
          const principal = await tokenHolder(app, token, "mcp");
          if (!principal) return;
          const caller = { agent: null, name: tokenActorName(principal), role: principal.role };
          process.stderr.write(`nightshift mcp: serving as ${caller.name} (${caller.role}) on stdio\n`);
          await serveMcpStdio({ db: app.store.db, clock: app.clock, caller, tokenId: principal.id, version: program.version() });
        });
      } catch (error) {
        process.exitCode = reportError(error);
      }
    });
}
