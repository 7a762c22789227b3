import type { Command } from "commander";
import { z } from "zod";
import { Criticality, issuesOf, ValidationError } from "../../core/index.js";
import { responseTargetFacts } from "../../context/index.js";
import { ACTIONS, ACTION_NAMES, ActionName, evaluatePolicy, loadPolicyFile, type AutonomyPolicy, type PolicyVerdict } from "../../respond/index.js";
import { action, printJson, withApp } from "../run.js";

const CheckOptions = z.strictObject({
  action: ActionName.optional(),
  asset: z.string().trim().min(1).optional(),
  criticality: z.union([Criticality, z.literal("unknown")]).optional(),
  environment: z.string().trim().min(1).optional(),
  doNotTouch: z.boolean().optional(),
  confidence: z.coerce.number().min(0).max(100).optional(),
  at: z.iso.datetime({ offset: true, message: "an ISO-8601 time such as 2026-11-24T03:30:00Z" }).optional(),
  json: z.boolean().optional(),
});

const flag = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The text `policy check` prints for one verdict: the decision, the deciding rule, and why each earlier rule did not match. */
export function formatVerdict(verdict: PolicyVerdict): string {
  const lines = [`${verdict.facts.action.padEnd(30)} ${verdict.decision.padEnd(20)} rule ${verdict.rule}`];
  for (const check of verdict.checks.filter((c) => !c.matched)) lines.push(`    ${check.rule}: ${check.failed.join("; ")}`);
  return lines.join("\n");
}

export function register(program: Command) {
  program
    .command("policy")
    .description("the response tier's autonomy policy")
    .command("check")
    .argument("<file>", "the policy file (YAML or JSON)")
    .description("validate a policy file and explain what it would do with an action (every action when --action is left out)")
    .option("--action <action>", `one of ${ACTION_NAMES.join(", ")}`)
    .option("--asset <host>", "look the target's criticality, environment and do-not-touch mark up in the CMDB")
    .option("--criticality <c>", "critical | high | medium | low | unknown (overrides --asset)")
    .option("--environment <e>", "the target's environment (overrides --asset)")
    .option("--do-not-touch", "the target is marked do-not-touch")
    .option("--confidence <n>", "the requester's confidence, 0–100 (unknown when left out)")
    .option("--at <iso>", "when the action would run (default: now)")
    .option("--json", "print the verdicts as JSON")
    .action(
      action(async (file: string, raw: Record<string, unknown>) => {
        const parsed = CheckOptions.safeParse(raw);
        if (!parsed.success) throw new ValidationError("invalid options", issuesOf(parsed.error).map((i) => ({ ...i, path: flag(i.path) })));
        const options = parsed.data;
        const policy: AutonomyPolicy = loadPolicyFile(file);
        let looked = { criticality: null as Criticality | null, environment: null as string | null, do_not_touch: false, known: false };
        if (options.asset) {
          const kind = options.action && ACTIONS[options.action].target === "account" ? "account" : "host";
          looked = await withApp((app) => responseTargetFacts(app.store.db, { kind, value: options.asset! }));
          if (!looked.known) process.stderr.write(`nightshift: ${options.asset} is not in the CMDB: its criticality and environment are unknown\n`);
        }
        const at = options.at ?? new Date().toISOString();
        const verdicts = (options.action ? [options.action] : [...ACTION_NAMES]).map((name) =>
          evaluatePolicy(policy, {
            action: name,
            criticality: options.criticality === "unknown" ? null : (options.criticality ?? looked.criticality),
            environment: options.environment ?? looked.environment,
            do_not_touch: options.doNotTouch ?? looked.do_not_touch,
            confidence: options.confidence ?? null,
            at,
          }),
        );
        if (options.json) return printJson({ policy: file, valid: true, verdicts });
        const f = verdicts[0]!.facts;
        process.stdout.write(`policy ${file}: valid (${policy.rules.length} rules, default ${policy.default}, timezone ${policy.timezone})\n`);
        process.stdout.write(
          `target: criticality ${f.criticality ?? "unknown"}, environment ${f.environment ?? "unknown"}, do-not-touch ${f.do_not_touch ? "yes" : "no"}; confidence ${f.confidence ?? "unknown"}; at ${f.at} (${f.local_day} ${f.local_time} ${policy.timezone})\n`,
        );
        for (const verdict of verdicts) process.stdout.write(`${formatVerdict(verdict)}\n`);
        if (options.action) process.stdout.write(`${verdicts[0]!.explanation}\n`);
      }),
    );
}
