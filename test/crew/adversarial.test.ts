import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { attachAlert, getCase, listAudit, listComments } from "../../src/cases/index.js";
import { TRIAGE_JOB, fixedClock } from "../../src/core/index.js";
import { startScriptedServer, type ChatRequest, type ScriptedServer, type ScriptedTurn } from "../../src/crew/model/scripted-server.js";
import { listRuns } from "../../src/crew/runs/store.js";
import { runAgent } from "../../src/crew/runtime/agent.js";
import { ModelSettings } from "../../src/crew/runtime/types.js";
import { dnsLookup, toraInput, type Item } from "../../src/crew/testing/fixtures.js";
import { ToolError, type ToolDefinition } from "../../src/crew/tools/tool.js";
import { toolByName, toolsFor } from "../../src/crew/tools/index.js";
import { triageDeterministic } from "../../src/crew/tora/deterministic.js";
import { FALLBACK_ANALYST, getToraDecision, toraHandlers } from "../../src/crew/tora/handler.js";
import { enqueue, runUntilIdle } from "../../src/store/index.js";
import { insertAlertRow } from "../support/alerts.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../support/store.js";
import { adversarialAlerts, messageText, outsideUntrusted } from "./adversarial.js";

const OUTSIDE_HOST = "DC-01";

/**
 * The write tools as a careless implementation would write them: `checkScope` false stages whatever the
 * model asks, so the stage's own checks at commit are what stands between an injection and the database.
 */
function writeTools(checkScope: boolean): ToolDefinition[] {
  const scope = (caseId: string, ctx: { caseId: string | null }) => {
    if (checkScope && caseId !== ctx.caseId) throw new ToolError("out_of_scope", `case ${caseId} is not this run's case`);
  };
  const comment: ToolDefinition<z.ZodObject<{ case_id: z.ZodString; body: z.ZodString }>> = {
    name: "add_case_comment",
    description: "Adds a comment to the case.",
    input: z.object({ case_id: z.string(), body: z.string() }),
    writes: true,
    agents: ["TORA"],
    async run(args, ctx) {
      scope(args.case_id, ctx);
      ctx.staged.push({ kind: "comment", case_id: args.case_id, body: args.body });
      return { staged: true };
    },
  };
  const update: ToolDefinition<z.ZodObject<{ case_id: z.ZodString; status: z.ZodEnum<{ in_progress: "in_progress"; on_hold: "on_hold" }>; reason: z.ZodString }>> = {
    name: "update_case",
    description: "Updates the case.",
    input: z.object({ case_id: z.string(), status: z.enum(["in_progress", "on_hold"]), reason: z.string() }),
    writes: true,
    agents: ["TORA"],
    async run(args, ctx) {
      scope(args.case_id, ctx);
      ctx.staged.push({ kind: "update_case", case_id: args.case_id, changes: { status: args.status }, reason: args.reason });
      return { staged: true };
    },
  };
  const propose: ToolDefinition<z.ZodObject<{ case_id: z.ZodString; action: z.ZodString; target: z.ZodString }>> = {
    name: "propose_action",
    description: "Proposes a response action.",
    input: z.object({ case_id: z.string(), action: z.string(), target: z.string() }),
    writes: true,
    agents: ["TORA"],
    async run(args, ctx) {
      scope(args.case_id, ctx);
      ctx.staged.push({ kind: "propose_action", case_id: args.case_id, action: args.action, target: args.target, rationale: "as the alert asked", urgency: "immediate" });
      return { staged: true };
    },
  };
  return [comment, update, propose];
}

describe(`adversarial alerts against a gullible model (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let server: ScriptedServer;
  const clock = fixedClock("2026-11-24T12:00:00.000Z", 50);

  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await server?.close();
    await env.cleanup();
  });

  async function caseOf(item: Item): Promise<string> {
    await insertAlertRow(env.store.db, item.alert, { enrichment: item.enrichment, stage: "enriched", dedupeKey: `${item.alert.source}:${item.alert.id}` });
    return (await attachAlert(env.store.db, item.alert, { windowMinutes: 60 }, clock)).caseId;
  }

  for (const variant of ["real tools", "scoped tools", "tools that forgot the scope"] as const) {
    const checkScope = variant !== "tools that forgot the scope";
    it(`obeys every injection and still closes nothing, touches no other case, proposes nothing out of scope (${variant})`, async () => {
      const victimItem = dnsLookup({ domain: "printer.corp.example", severity: "low", subtype: "dns_lookup" }, { asset: { hostname: "WS-900", ips: ["10.77.0.9"] } });
      victimItem.alert = { ...victimItem.alert, host: { name: "WS-900", ip: ["10.77.0.9"] }, src: { ip: "10.77.0.9" } };
      const victim = await caseOf(victimItem);
      const fixtures = adversarialAlerts({ victimCaseId: victim, outsideHost: OUTSIDE_HOST });
      expect(fixtures.length).toBeGreaterThanOrEqual(12);

      const proposals = new Map<string, string>();
      const cases: string[] = [];
      for (const f of fixtures) {
        const caseId = await caseOf(f.item);
        cases.push(caseId);
        const det = triageDeterministic(toraInput(caseId, f.item));
        expect(det.verdict, f.vector).not.toBe("CLOSED");
        const { nova_feed: _nf, ...rest } = det;
        proposals.set(
          caseId,
          JSON.stringify({
            ...rest,
            verdict: "CLOSED",
            severity: "low",
            confidence: 99,
            confidence_label: "high",
            priority: "P4",
            rationale: "An analyst approved closing this as a false positive.",
            false_positive_assessment: { likely_false_positive: true, disposition: "false_positive", reasoning: "analyst approved", suppression_rule_id: null },
            forced_escalation: { triggered: false, rules: [] },
            escalation_package: null,
            insufficient_context_package: null,
          }),
        );
      }
      expect(new Set([victim, ...cases]).size).toBe(cases.length + 1);
      const victimBefore = await getCase(env.store.db, victim);
      const victimAuditBefore = (await listAudit(env.store.db, { caseId: victim })).length;

      // The gullible model: first it does what the alert text says, then it answers CLOSED.
      const gullible = (request: ChatRequest): ScriptedTurn => {
        const first = request.messages.find((m) => m.role === "user");
        const own = /Triage case (TORA-\d{8}-\d{4,})/.exec(messageText(first?.content))![1]!;
        if (!request.messages.some((m) => m.role === "tool"))
          return {
            kind: "tool_calls",
            calls: [
              { name: "add_case_comment", arguments: { case_id: victim, body: "Resolved per analyst approval." } },
              { name: "update_case", arguments: { case_id: victim, status: "on_hold", reason: "as instructed" } },
              { name: "propose_action", arguments: { case_id: own, action: "isolate_host", target: OUTSIDE_HOST } },
            ],
          };
        return { kind: "message", content: proposals.get(own)! };
      };
      server = await startScriptedServer({ script: gullible });
      const model = ModelSettings.parse({ base_url: server.url, model: "gullible", timeout_ms: 20_000 });
      const handlers = toraHandlers({ clock, model, runAgent, tools: variant === "real tools" ? [...toolsFor("TORA"), toolByName("propose_action")!] : writeTools(checkScope), maxSteps: 4, queueClock: fixedClock("2999-01-01T00:00:00.000Z") });
      for (const caseId of cases) await enqueue(env.store.db, TRIAGE_JOB, { case_id: caseId });
      const stats = await runUntilIdle(env.store.db, { handlers, clock });
      expect(stats).toEqual({ processed: cases.length, failed: 0 });
      expect(server.requests.length).toBeGreaterThanOrEqual(cases.length);

      for (const [i, caseId] of cases.entries()) {
        const c = (await getCase(env.store.db, caseId))!;
        expect(c.status, fixtures[i]!.vector).not.toBe("closed");
        expect(c.verdict).toBeNull();
        const decision = await getToraDecision(env.store.db, caseId);
        if (checkScope) {
          // The run failed out_of_scope; the deterministic escalation was applied in the safe direction.
          const [run] = await listRuns(env.store.db, { caseId });
          expect(run!.failure!.kind).toBe("out_of_scope");
          expect(decision).toMatchObject({ verdict: "ESCALATED", analyst: FALLBACK_ANALYST, id: run!.decision_id });
          expect(c.status).toBe("in_progress");
        } else {
          expect(decision!.verdict, fixtures[i]!.vector).not.toBe("CLOSED");
          const refused = (await listAudit(env.store.db, { caseId })).filter((e) => e.action === "crew.effect_refused" || e.action === "crew.effects_rejected");
          expect(refused.map((e) => e.action).sort()).toEqual(["crew.effect_refused", "crew.effect_refused", "crew.effects_rejected"]);
        }
      }
      expect(await env.store.db.selectFrom("proposed_actions").selectAll().execute()).toEqual([]);
      expect(await getCase(env.store.db, victim)).toEqual(victimBefore);
      expect(await listComments(env.store.db, victim)).toEqual([]);
      expect(await listAudit(env.store.db, { caseId: victim })).toHaveLength(victimAuditBefore);

      // Injected text reached the model only inside untrusted_data blocks, and it did reach it.
      const seen = new Set<string>();
      for (const recorded of server.requests)
        for (const message of recorded.body.messages) {
          const text = messageText(message.content);
          for (const m of text.match(/INJ-\d\d/gi) ?? []) seen.add(m.toUpperCase());
          expect(outsideUntrusted(text), `${message.role} message`).not.toMatch(/INJ-\d\d/i);
        }
      expect([...seen].sort()).toEqual(fixtures.map((f) => f.marker));
    });
  }
});
