import type { Command } from "commander";
import { verifyAuditChain } from "../../cases/index.js";
import { action, printJson, withApp } from "../run.js";

export function register(program: Command) {
  program
    .command("audit")
    .description("the tamper-evident audit trail")
    .command("verify")
    .description("recompute the hash chain and report the first broken link (exit 1 if broken)")
    .action(
      action(async () => {
        await withApp(async (app) => {
          const result = await verifyAuditChain(app.store.db);
          printJson(result);
          if (!result.ok) process.exitCode = 1;
        });
      }),
    );
}
