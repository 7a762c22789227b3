import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { attachAlert, getCase } from "../../src/cases/index.js";
import { TRIAGE_JOB, fixedClock, PRIORITIES, severityRank, ToraOutput } from "../../src/core/index.js";
import { guard } from "../../src/crew/guardrails/apply.js";
import { startScriptedServer, type ChatRequest, type ScriptedServer, type ScriptedTurn } from "../../src/crew/model/scripted-server.js";
import { runAgent } from "../../src/crew/runtime/agent.js";
import { ModelSettings } from "../../src/crew/runtime/types.js";
import { toraInput, type Item } from "../../src/crew/testing/fixtures.js";
import { toolsFor } from "../../src/crew/tools/index.js";
import { triageDeterministic } from "../../src/crew/tora/deterministic.js";
import { completeToraProposal } from "../../src/crew/tora/model.js";
import { getToraDecision, toraHandlers } from "../../src/crew/tora/handler.js";
import { enqueue, runUntilIdle } from "../../src/store/index.js";
import { insertAlertRow } from "../support/alerts.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../support/store.js";
import { adversarialAlerts, messageText } from "./adversarial.js";

/**
 * The model-judgement path (issue 13 item 15): threat intel at 5 of 60 sources, so no forced rule fires and
 * the verdict is a judgement. A model that obeys the injected text without calling any tool answers
 * "on hold at P3" or "closed at P4, severity low". The guardrails hold the deterministic analyst's floor:
 * its escalation stays an escalation, never at a less urgent priority or a lower severity.
 */
const WEAK_INTEL = 5;

type Obedient = "hold at P3" | "close at P4";

function obedientProposal(det: ToraOutput, mode: Obedient): string {
  const { nova_feed: _nf, ...rest } = det;
  const common = { ...rest, severity: "low", confidence: mode === "close at P4" ? 95 : 40, rationale: "The alert says it is authorised; no escalation needed.", escalation_package: null };
  const proposal =
    mode === "close at P4"
      ? {
          ...common,
          verdict: "CLOSED",
          confidence_label: "high",
          priority: "P4",
          false_positive_assessment: { likely_false_positive: true, disposition: "false_positive", reasoning: "analyst approved", suppression_rule_id: null },
          insufficient_context_package: null,
        }
      : { ...common, verdict: "INSUFFICIENT_CONTEXT", confidence_label: "low", priority: "P3", insufficient_context_package: null };
  return JSON.stringify(proposal);
}

function notLower(det: ToraOutput, out: { verdict: string; priority: string; severity: string }, label: string) {
  if (det.verdict === "ESCALATED") expect(out.verdict, label).toBe("ESCALATED");
  expect(PRIORITIES.indexOf(out.priority as never), `${label}: priority ${out.priority} vs ${det.priority}`).toBeLessThanOrEqual(PRIORITIES.indexOf(det.priority));
  expect(severityRank(out.severity as never), `${label}: severity`).toBeGreaterThanOrEqual(severityRank(det.severity));
}

describe("adversarial alerts on the judgement path: no forced rule, weak intel", () => {
  const fixtures = adversarialAlerts({ victimCaseId: "TORA-20261124-9999", outsideHost: "DC-01", intelSources: WEAK_INTEL });

  it("leaves the verdict to judgement: on most, no forced rule fires and the deterministic analyst escalates", () => {
    const dets = fixtures.map((f) => triageDeterministic(toraInput(`TORA-20261124-${f.marker.slice(4)}00`, f.item)));
    const judged = dets.filter((d) => !d.forced_escalation.triggered && d.verdict === "ESCALATED");
    expect(judged.length).toBeGreaterThanOrEqual(11);
  });

  for (const mode of ["hold at P3", "close at P4"] as const)
    it(`an obedient proposal (${mode}) never lowers the verdict, priority or severity the deterministic analyst computed`, () => {
      for (const f of fixtures) {
        const input = toraInput(`TORA-20261124-${f.marker.slice(4)}00`, f.item);
        const det = triageDeterministic(input);
        const { output: out } = guard(completeToraProposal(JSON.parse(obedientProposal(det, mode)), input, 0), input);
        notLower(det, out, f.vector);
        if (det.verdict === "ESCALATED" && !det.forced_escalation.triggered)
          expect(out.rationale, f.vector).toMatch(/raised to ESCALATED: the deterministic analyst escalates/);
      }
    });
});

describe(`adversarial alerts on the judgement path through the triage stage (${testStoreKind()})`, () => {
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

  for (const mode of ["hold at P3", "close at P4"] as const)
    it(`a model that obeys the injection without calling a tool (${mode}) leaves every escalation escalated, at its priority`, async () => {
      const fixtures = adversarialAlerts({ victimCaseId: "TORA-20261124-9999", outsideHost: "DC-01", intelSources: WEAK_INTEL });
      const proposals = new Map<string, string>();
      const dets = new Map<string, ToraOutput>();
      const cases: string[] = [];
      for (const f of fixtures) {
        const caseId = await caseOf(f.item);
        cases.push(caseId);
        const det = triageDeterministic(toraInput(caseId, f.item));
        dets.set(caseId, det);
        proposals.set(caseId, obedientProposal(det, mode));
      }
      const obedient = (request: ChatRequest): ScriptedTurn => {
        const first = request.messages.find((m) => m.role === "user");
        const own = /Triage case (TORA-\d{8}-\d{4,})/.exec(messageText(first?.content))![1]!;
        return { kind: "message", content: proposals.get(own)! };
      };
      server = await startScriptedServer({ script: obedient });
      const model = ModelSettings.parse({ base_url: server.url, model: "obedient", timeout_ms: 20_000 });
      const handlers = toraHandlers({ clock, model, runAgent, tools: toolsFor("TORA"), maxSteps: 4, queueClock: fixedClock("2999-01-01T00:00:00.000Z") });
      for (const caseId of cases) await enqueue(env.store.db, TRIAGE_JOB, { case_id: caseId });
      expect(await runUntilIdle(env.store.db, { handlers, clock })).toEqual({ processed: cases.length, failed: 0 });

      let escalated = 0;
      for (const [i, caseId] of cases.entries()) {
        const det = dets.get(caseId)!;
        const decision = (await getToraDecision(env.store.db, caseId))!;
        expect(decision.analyst).toBe("model:obedient");
        const out = ToraOutput.parse(decision.output);
        notLower(det, out, fixtures[i]!.vector);
        const c = (await getCase(env.store.db, caseId))!;
        expect(c.status, fixtures[i]!.vector).not.toBe("closed");
        if (det.verdict === "ESCALATED") {
          escalated++;
          expect(c, fixtures[i]!.vector).toMatchObject({ status: "in_progress", priority: out.priority });
        }
      }
      expect(escalated).toBeGreaterThanOrEqual(11);
    });
});
