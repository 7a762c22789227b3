import type { Command } from "commander";
import { z } from "zod";
import { createToken } from "../../server/index.js";
import { action, withApp } from "../run.js";

const Role = z.enum(["viewer", "analyst", "admin"], { message: "--role must be viewer, analyst or admin" });

export function register(program: Command) {
  program
    .command("token")
    .description("API tokens")
    .command("create")
    .description("create a bearer token; it is printed once, alone on the last line, and only its hash is stored")
    .requiredOption("--role <role>", "viewer | analyst | admin")
    .option("--name <name>", "who or what the token is for")
    .action(
      action(async (options: { role: string; name?: string }) => {
        const role = Role.parse(options.role);
        await withApp(async (app) => {
          const created = await createToken(app.store.db, { role, name: options.name }, app.clock);
          process.stderr.write(`created ${role} token ${created.id}${options.name ? ` (${options.name})` : ""}; store it now, it is not shown again\n`);
          process.stdout.write(`${created.token}\n`);
        });
      }),
    );
}
