import type { Command } from "commander";
import { serveMcpStdio } from "../../crew/mcp/index.js";
import { authenticate, tokenActorName } from "../../server/index.js";
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
        const token = options.token ?? process.env.NIGHTSHIFT_TOKEN;
        if (!token) {
          process.stderr.write(`${NO_TOKEN}\n`);
          process.exitCode = 2;
          return;
        }
        await withApp(async (app) => {
          const principal = await authenticate(app.store.db, token, app.clock);
          if (!principal) {
            process.stderr.write("nightshift mcp: invalid or revoked token\n");
            process.exitCode = 2;
            return;
          }
          const caller = { agent: null, name: tokenActorName(principal), role: principal.role };
          process.stderr.write(`nightshift mcp: serving as ${caller.name} (${caller.role}) on stdio\n`);
          await serveMcpStdio({ db: app.store.db, clock: app.clock, caller, tokenId: principal.id, version: program.version() });
        });
      } catch (error) {
        process.exitCode = reportError(error);
      }
    });
}
