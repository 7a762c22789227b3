#!/usr/bin/env node
import { Command } from "commander";
import * as approvals from "./commands/approvals.js";
import * as audit from "./commands/audit.js";
import * as backup from "./commands/backup.js";
import * as connectors from "./commands/connectors.js";
import * as context from "./commands/context.js";
import * as demo from "./commands/demo.js";
import * as detect from "./commands/detect.js";
import * as evalDetection from "./commands/eval-detection.js";
import * as evalCommand from "./commands/eval.js";
import * as feedback from "./commands/feedback.js";
import * as exportCommands from "./commands/export.js";
import * as ingest from "./commands/ingest.js";
import * as journal from "./commands/journal.js";
import * as mcp from "./commands/mcp.js";
import * as policy from "./commands/policy.js";
import * as nova from "./commands/nova.js";
import * as rules from "./commands/rules.js";
import * as runs from "./commands/runs.js";
import * as serve from "./commands/serve.js";
import * as shift from "./commands/shift.js";
import * as token from "./commands/token.js";

export function buildProgram(): Command {
  const program = new Command("nightshift")
    .description("Nightshift — an autonomous Security Operations Center. Data lives in $NIGHTSHIFT_HOME (default ./data).")
    .version("0.1.0");
  for (const command of [demo, serve, shift, ingest, feedback, detect, rules, evalCommand, evalDetection, exportCommands, connectors, context, audit, token, journal, mcp, runs, policy, approvals, backup, nova]) command.register(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
