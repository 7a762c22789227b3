import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { z } from "zod";
import { AgentName, issuesOf, RunExport, ValidationError } from "../../core/index.js";
import { exportRun, formatRunList, formatTrace, listRuns, replayRun, runBrief } from "../../crew/runs/index.js";
import { action, printJson, withApp } from "../run.js";

const ListOptions = z.object({
  case: z.string().min(1).optional(),
  agent: z
    .string()
    .transform((value) => value.toUpperCase())
    .pipe(z.enum(AgentName.options, { message: `one of ${AgentName.options.join(", ")}` }))
    .optional(),
  failed: z.boolean().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  json: z.boolean().optional(),
});

function parseOptions<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError("invalid options", issuesOf(result.error).map((issue) => ({ ...issue, path: `--${issue.path}` })));
  return result.data;
}

/** Reads an export file: JSON in the "nightshift.run.v1" format, checked field by field. */
export function readRunExport(file: string): RunExport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ValidationError(`cannot read ${file}`, [{ path: "", message: error instanceof Error ? error.message : String(error) }]);
  }
  const result = RunExport.safeParse(parsed);
  if (!result.success) throw new ValidationError(`${file} is not a nightshift.run.v1 export`, issuesOf(result.error));
  return result.data;
}

export function register(program: Command) {
  const runs = program.command("runs").description("the crew's agent runs: every request, response, tool call and result, exportable and replayable");

  runs
    .command("list")
    .description("runs newest first")
    .option("--case <id>", "only this case's runs")
    .option("--agent <agent>", "TORA | VERA")
    .option("--failed", "only failed runs")
    .option("--limit <n>", "at most this many (default 50)")
    .option("--json", "JSON instead of a table")
    .action(
      action(async (raw: Record<string, unknown>) => {
        const options = parseOptions(ListOptions, raw);
        await withApp(async (app) => {
          const found = await listRuns(app.store.db, { caseId: options.case, agent: options.agent, status: options.failed ? "failed" : undefined, limit: options.limit });
          if (options.json) printJson({ runs: found.map(runBrief) });
          else process.stdout.write(formatRunList(found));
        });
      }),
    );

  runs
    .command("show")
    .description("a run's trace, step by step: kind, tokens, latency, tool names and arguments, errors")
    .argument("<run-id>")
    .option("--data", "also print each step's recorded data as JSON")
    .action(
      action(async (runId: string, options: { data?: boolean }) => {
        await withApp(async (app) => {
          process.stdout.write(formatTrace(await exportRun(app.store.db, runId), { data: options.data }));
        });
      }),
    );

  runs
    .command("export")
    .description('a run with its input and whole trace as JSON ("nightshift.run.v1")')
    .argument("<run-id>")
    .option("--out <file>", "write to this file instead of stdout")
    .action(
      action(async (runId: string, options: { out?: string }) => {
        await withApp(async (app) => {
          const exported = await exportRun(app.store.db, runId);
          if (options.out) {
            writeFileSync(options.out, `${JSON.stringify(exported, null, 2)}\n`);
            process.stderr.write(`wrote run ${runId} (${exported.trace.length} steps) to ${options.out}\n`);
          } else printJson(exported);
        });
      }),
    );

  runs
    .command("replay")
    .description("re-run an exported run through the runtime against a scripted model answering with the recorded responses and tool results; exit 1 if it diverges")
    .argument("<export.json>")
    .option("--json", "print the replay report as JSON")
    .action(
      action(async (file: string, options: { json?: boolean }) => {
        const report = await replayRun(readRunExport(file));
        if (options.json) printJson(report);
        else process.stdout.write(report.summary);
        if (!report.reproduced) process.exitCode = 1;
      }),
    );
}
