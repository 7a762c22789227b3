import type { Command } from "commander";
import { ACTIONS, approveAction, confirmAction, denyAction, editAndApprove, executeAction, expireApprovals, getAction, listActions, parseAction, pollAction, requestRollback, responseServices, ActionStatus, type ResponseAction } from "../../respond/index.js";
import { ForbiddenError, ValidationError, parseJson } from "../../core/index.js";
import { responseTargetFacts } from "../../context/index.js";
import { authenticate, tokenActorName } from "../../server/index.js";
import type { App } from "../../app/index.js";
import { action, printJson, withApp } from "../run.js";

/** The person deciding: the API token given by --token or NIGHTSHIFT_TOKEN (its name and role, as over HTTP). */
async function person(app: App, token: string | undefined): Promise<{ name: string; role: string }> {
  const value = token ?? process.env.NIGHTSHIFT_TOKEN;
  if (!value) throw new ValidationError("who is deciding?", [{ path: "--token", message: "give your API token with --token or NIGHTSHIFT_TOKEN (analyst or admin)" }]);
  const principal = await authenticate(app.store.db, value, app.clock);
  if (!principal) throw new ForbiddenError("invalid or revoked token");
  return { name: tokenActorName(principal), role: principal.role };
}

/** One line per action for `approvals list`. */
export function formatAction(a: ResponseAction): string {
  const votes = a.approvals.filter((v) => v.decision === "approve").map((v) => v.approver);
  const approvals = a.status === "pending_approval" ? ` approvals ${votes.length}/${a.approvals_required}${votes.length ? ` (${votes.join(", ")})` : ""} expires ${a.expires_at}` : "";
  return `${a.id}  ${a.status.padEnd(21)} ${a.action} ${a.target}  case ${a.case_id ?? "-"}  by ${a.requested_by.name}  policy ${a.policy.decision} (${a.policy.rule})${approvals}  hash ${a.args_hash.slice(0, 12)}`;
}

function show(a: ResponseAction, json: boolean | undefined) {
  if (json) printJson(a);
  else process.stdout.write(`${formatAction(a)}\n`);
}

export function register(program: Command) {
  const approvals = program.command("approvals").description("response actions waiting for people, and their outcome (ARIA)");
  approvals
    .command("list")
    .description("response actions, newest first (default: those pending approval)")
    .option("--status <list>", "comma-separated statuses, or `all`", "pending_approval")
    .option("--case <id>", "only this case's")
    .option("--limit <n>", "at most this many", "50")
    .option("--json", "one JSON object per line")
    .action(
      action(async (options: { status: string; case?: string; limit: string; json?: boolean }) => {
        const statuses = options.status === "all" ? undefined : options.status.split(",").map((s) => s.trim());
        const bad = statuses?.find((s) => !ActionStatus.safeParse(s).success);
        if (bad !== undefined) throw new ValidationError("invalid options", [{ path: "--status", message: `"${bad}" is not a status (${ActionStatus.options.join(", ")}, or all)` }]);
        const status = statuses as ActionStatus[] | undefined;
        await withApp(async (app) => {
          await expireApprovals(app.store.db, app.clock);
          const rows = await listActions(app.store.db, { status, case_id: options.case, limit: Number(options.limit) });
          for (const row of rows) show(row, options.json);
          if (!rows.length && !options.json) process.stderr.write("no response actions\n");
        });
      }),
    );
  approvals
    .command("show")
    .argument("<id>")
    .description("one response action as JSON")
    .action(action(async (id: string) => withApp(async (app) => printJson(await getAction(app.store.db, id)))));
  const decide = (name: "approve" | "deny", description: string) =>
    approvals
      .command(name)
      .argument("<id>")
      .description(description)
      .option("--token <token>", "your API token (default: NIGHTSHIFT_TOKEN)")
      .option("--note <text>", "why")
      .option("--hash <args_hash>", "the args_hash you reviewed: refused if the action's arguments differ")
      .option("--json", "print the action as JSON")
      .action(
        action(async (id: string, options: { token?: string; note?: string; hash?: string; json?: boolean }) =>
          withApp(async (app) => {
            const who = await person(app, options.token);
            const fn = name === "approve" ? approveAction : denyAction;
            show(await fn(app.store.db, id, who, app.clock, { note: options.note ?? null, args_hash: options.hash ?? null }), options.json);
          }),
        ),
      );
  decide("approve", "approve a response action (analyst or admin; never the requester; two people for needs_two_approvals)");
  decide("deny", "deny a response action: it never runs");
  approvals
    .command("edit")
    .argument("<id>")
    .requiredOption("--args <json>", 'the edited arguments, e.g. \'{"host":"ws-042","isolation_type":"selective"}\'')
    .option("--token <token>", "your API token (default: NIGHTSHIFT_TOKEN)")
    .option("--note <text>", "why")
    .option("--json", "print the new action as JSON")
    .description("edit a pending action's arguments, then approve: a new request (new hash) the policy judges afresh")
    .action(
      action(async (id: string, options: { args: string; token?: string; note?: string; json?: boolean }) =>
        withApp(async (app) => {
          let args: unknown;
          try {
            args = parseJson(options.args);
          } catch (error) {
            throw new ValidationError("invalid --args", [{ path: "--args", message: `not JSON: ${(error as Error).message}` }]);
          }
          const who = await person(app, options.token);
          const services = responseServices(app.config, app.clock);
          const current = await getAction(app.store.db, id);
          const parsed = parseAction(current.action, args);
          const spec = ACTIONS[current.action];
          const facts = await responseTargetFacts(app.store.db, { kind: spec.target, value: spec.targetOf(parsed.args) });
          const result = await editAndApprove(app.store.db, id, who, { args: args as Record<string, unknown>, note: options.note ?? null, facts: { criticality: facts.criticality, environment: facts.environment, do_not_touch: facts.do_not_touch } }, { policy: services.policy, clock: app.clock });
          show(result.action, options.json);
        }),
      ),
    );
  approvals
    .command("confirm")
    .argument("<id>")
    .option("--failed", "you could not carry it out")
    .option("--token <token>", "your API token (default: NIGHTSHIFT_TOKEN)")
    .option("--note <text>", "what was done")
    .description("confirm a record-only action was carried out by hand")
    .action(
      action(async (id: string, options: { failed?: boolean; token?: string; note?: string }) =>
        withApp(async (app) => show(await confirmAction(app.store.db, id, await person(app, options.token), { succeeded: !options.failed, note: options.note ?? null }, app.clock), false)),
      ),
    );
  approvals
    .command("rollback")
    .argument("<id>")
    .requiredOption("--rationale <text>", "why it is undone")
    .option("--token <token>", "your API token (default: NIGHTSHIFT_TOKEN)")
    .description("ask for the rollback of an executed action (release, enable, unblock): a new request under the policy")
    .action(
      action(async (id: string, options: { rationale: string; token?: string }) =>
        withApp(async (app) => {
          const who = await person(app, options.token);
          show(await requestRollback(app.store.db, id, { kind: "human", name: who.name }, options.rationale, { policy: responseServices(app.config, app.clock).policy, clock: app.clock }), false);
        }),
      ),
    );
  approvals
    .command("run")
    .argument("<id>")
    .description("execute an approved action now through its connector, or follow one the vendor is still working on (idempotent: a settled action is shown, never run again)")
    .option("--token <token>", "your API token (default: NIGHTSHIFT_TOKEN)")
    .option("--json", "print the action as JSON")
    .action(
      action(async (id: string, options: { token?: string; json?: boolean }) =>
        withApp(async (app) => {
          const who = await person(app, options.token);
          if (who.role !== "analyst" && who.role !== "admin") throw new ForbiddenError(`running a response action needs the analyst or admin role; ${who.name} has ${who.role}`);
          const deps = responseServices(app.config, app.clock).executeDeps();
          const current = await getAction(app.store.db, id);
          show(current.status === "in_progress" ? await pollAction(app.store.db, id, deps) : await executeAction(app.store.db, id, deps), options.json);
        }),
      ),
    );
}
