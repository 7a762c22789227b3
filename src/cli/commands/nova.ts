import type { Command } from "commander";
import { decideProposal, listProposals, ProposalStatus, runNova, type Analysis } from "../../nova/index.js";
import { tokenActorName } from "../../server/index.js";
import { givenToken, tokenHolder } from "../token.js";
import { action, printJson, withApp } from "../run.js";

const NO_TOKEN =
  "deciding a NOVA proposal needs an analyst or admin API token: --token <value> or NIGHTSHIFT_TOKEN (create one with `nightshift token create --role analyst --name <who>`)";

/** Alert contents reach titles and summaries: no control character (terminal escapes) reaches the terminal. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "\uFFFD");
}

/** The analysis as a reader wants it on a terminal: patterns, open questions, proposals. */
export function formatAnalysis(a: Analysis): string {
  const lines = [`# ${a.id} — ${a.counts.cases} cases (${a.since} → ${a.until})`, "", "## Patterns"];
  if (!a.patterns.length) lines.push("(none)");
  for (const p of a.patterns)
    lines.push(`${p.id} [${p.type}, ${p.confidence}] ${p.title}`, `   evidence: ${p.evidence.join(", ")}`, `   would confirm: ${p.what_would_confirm}`);
  lines.push("", "## Open questions", ...(a.open_questions.length ? a.open_questions.map((q) => `- ${q}`) : ["(none)"]), "", "## Proposals");
  if (!a.proposals.length) lines.push("(none)");
  for (const p of a.proposals) lines.push(`${p.id} [${p.kind}, from ${p.pattern}] ${p.summary}`);
  return `${printable(lines.join("\n"))}\n`;
}

export function register(program: Command) {
  const nova = program.command("nova").description("NOVA, the observer: cross-tier analysis of the crew's decisions and case outcomes, with proposals a human accepts or rejects");
  nova
    .command("run")
    .description("analyse every TORA/VERA decision (nova_feed) and case outcome of a window and publish the analysis (patterns, open questions, proposals)")
    .option("--since <iso>", "decisions from this time (default: 24 hours ago)")
    .option("--until <iso>", "decisions until this time (default: now)")
    .option("--shift <name>", "the shift's name in the analysis id NOVA-<shift>-YYYYMMDD (default adhoc)")
    .option("--json", "print the analysis as JSON")
    .action(
      action(async (options: { since?: string; until?: string; shift?: string; json?: boolean }) => {
        await withApp(async (app) => {
          const analysis = await runNova(app.store.db, { since: options.since, until: options.until, shift: options.shift }, app.clock);
          if (options.json) printJson(analysis);
          else process.stdout.write(formatAnalysis(analysis));
        });
      }),
    );

  const proposals = nova.command("proposals").description("NOVA's proposals: list, accept, reject");
  proposals
    .command("list")
    .description("list proposals, newest first (one JSON object a line with --json)")
    .option("--status <status>", "proposed | accepted | rejected")
    .option("--analysis <id>", "only this analysis's proposals")
    .option("--json", "print one JSON object a line")
    .action(
      action(async (options: { status?: string; analysis?: string; json?: boolean }) => {
        const status = options.status === undefined ? undefined : ProposalStatus.parse(options.status);
        await withApp(async (app) => {
          const rows = await listProposals(app.store.db, { status, analysis: options.analysis });
          for (const p of rows)
            if (options.json) printJson(p);
            else process.stdout.write(`${printable(`${p.id}\t${p.status}\t${p.kind}\t${p.summary}${p.suppression_id ? `\t→ ${p.suppression_id}` : ""}`)}\n`);
        });
      }),
    );
  for (const decision of ["accept", "reject"] as const)
    proposals
      .command(`${decision} <id>`)
      .description(
        decision === "accept"
          ? "accept a proposal (analyst or admin token): a suppression proposal becomes suppression SUP-<id>, cited by the decisions it closes"
          : "reject a proposal (analyst or admin token)",
      )
      .option("--token <value>", "the API token (prefer NIGHTSHIFT_TOKEN: a command-line argument is visible to other users)")
      .option("--note <text>", "why, recorded in the audit trail")
      .action(
        action(async (id: string, options: { token?: string; note?: string }) => {
          const token = givenToken(options.token, NO_TOKEN);
          if (!token) return;
          await withApp(async (app) => {
            const principal = await tokenHolder(app, token, "nova");
            if (!principal) return;
            printJson(await decideProposal(app.store.db, id, decision, { name: tokenActorName(principal), role: principal.role }, app.clock, options.note));
          });
        }),
      );
}
