import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { ValidationError, issuesOf } from "../../core/index.js";
import { AuditCheckpoint, recordCheckpoint, verifyAuditChain } from "../../cases/index.js";
import { action, printJson, withApp } from "../run.js";

/** A checkpoint file as `audit checkpoint --out` wrote it; a bad file is a ValidationError (exit 2). */
function readCheckpoint(file: string): AuditCheckpoint {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ValidationError(`${file} is not a checkpoint: ${(error as Error).message}`, [{ path: "checkpoint", message: (error as Error).message }]);
  }
  const parsed = AuditCheckpoint.safeParse(value);
  if (!parsed.success) throw new ValidationError(`${file} is not a checkpoint`, issuesOf(parsed.error, "checkpoint"));
  return parsed.data;
}

export function register(program: Command) {
  const audit = program.command("audit").description("the tamper-evident audit trail");
  audit
    .command("verify")
    .description(
      "recompute the keyed chain, check signed checkpoints (the database's and --checkpoint FILE) and replay case state " +
        "against the cases table; prints {ok, checked, firstBroken, head, keyed, checkpoints, cases} (exit 1 if anything fails)",
    )
    .option("--checkpoint <file>", "a checkpoint exported earlier with `audit checkpoint --out`: detects a truncated or rewritten chain")
    .action(
      action(async (options: { checkpoint?: string }) => {
        const checkpoint = options.checkpoint === undefined ? undefined : readCheckpoint(options.checkpoint);
        await withApp(async (app) => {
          const result = await verifyAuditChain(app.store.db, { checkpoint });
          printJson(result);
          if (!result.ok) process.exitCode = 1;
        });
      }),
    );
  audit
    .command("checkpoint")
    .description("verify the chain, then sign its head and record it; prints the checkpoint (keep a copy outside the database)")
    .option("--out <file>", "also write the checkpoint to this file")
    .action(
      action(async (options: { out?: string }) => {
        await withApp(async (app) => {
          const result = await verifyAuditChain(app.store.db);
          if (!result.ok) {
            printJson(result);
            process.stderr.write("nightshift: the audit chain does not verify; no checkpoint was signed\n");
            process.exitCode = 1;
            return;
          }
          const checkpoint = await recordCheckpoint(app.store.db, app.clock);
          if (options.out) writeFileSync(options.out, `${JSON.stringify(checkpoint, null, 2)}\n`, { mode: 0o600 });
          printJson(checkpoint);
        });
      }),
    );
}
