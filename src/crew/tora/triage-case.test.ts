import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { insertAlertRow } from "../../../test/support/alerts.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { ENRICH_JOB, TRIAGE_JOB, ToraOutput, canonicalJson, fixedClock, type Alert, type Suppression } from "../../core/index.js";
import { attachAlert, caseHandlers, getCase, listAudit, listComments, transitionCase, verifyAuditChain } from "../../cases/index.js";
import { contextHandlers, loadContext } from "../../context/index.js";
import { enqueue, fromJson, runUntilIdle, type Executor } from "../../store/index.js";
import { dnsLookup, intelMatch, makeAlert, signedVendorProcess, type Item } from "../testing/fixtures.js";
import { crewHandlers, getToraDecision, triageCase } from "./handler.js";

const SUP_7: Suppression = {
  id: "SUP-7",
  author: "alice",
  reason: "OneDrive self-update",
  scope: { process_name: "OneDriveSetup.exe" },
  created_at: "2026-10-25T00:00:00.000Z",
};

async function storeAlert(ex: Executor, alert: Alert, enrichment: Item["enrichment"] | null): Promise<void> {
  await insertAlertRow(ex, alert, { enrichment, stage: enrichment ? "enriched" : "received", dedupeKey: `${alert.source}:${alert.id}` });
}

async function insertSuppression(ex: Executor, suppression: Suppression): Promise<void> {
  await ex
    .insertInto("suppressions")
    .values({ id: suppression.id, doc: canonicalJson(suppression), created_at: suppression.created_at, expires_at: suppression.expires_at ?? null })
    .execute();
}

describe(`triageCase (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  const clock = fixedClock("2026-11-24T12:00:00.000Z", 250);

  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function caseOf(item: Item, options: { enriched?: boolean } = {}): Promise<string> {
    await storeAlert(env.store.db, item.alert, options.enriched === false ? null : item.enrichment);
    const { caseId } = await attachAlert(env.store.db, item.alert, { windowMinutes: 60 }, clock);
    return caseId;
  }

  async function jobs(kind: string) {
    const rows = await env.store.db.selectFrom("jobs").select(["payload", "dedupe_key"]).where("kind", "=", kind).execute();
    return rows.map((r) => ({ payload: fromJson<Record<string, unknown>>(r.payload, {}), dedupe_key: r.dedupe_key }));
  }

  it("escalates to VERA: decision row, transition, comment, audit and the journal hand-off", async () => {
    const caseId = await caseOf(dnsLookup({}, { threat_intel: { verdict: "malicious", matches: [intelMatch("c2.example", 45)] } }));
    const decision = await triageCase(env.store.db, caseId, clock);

    expect(decision).toMatchObject({ case_id: caseId, agent: "TORA", tier: 1, schema_version: 1, verdict: "ESCALATED", analyst: "deterministic" });
    const stored = await getToraDecision(env.store.db, caseId);
    expect(stored).toEqual(decision);
    const output = ToraOutput.parse(stored!.output);
    expect(output.nova_feed.duration_ms).toBe(stored!.duration_ms);

    const c = (await getCase(env.store.db, caseId))!;
    expect(c).toMatchObject({
      status: "in_progress",
      assignee: { kind: "agent", name: "VERA" },
      crew_verdict: "ESCALATED",
      priority: output.priority,
      severity: "high",
      confidence: output.confidence,
      verdict: null,
    });
    expect(c.escalated_at).not.toBeNull();
    expect(c.tags).toEqual(expect.arrayContaining(["tora:escalated", "forced-escalation"]));

    const comments = await listComments(env.store.db, caseId);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.author).toEqual({ kind: "agent", name: "TORA" });
    expect(comments[0]!.body).toContain("## TORA triage — ESCALATED · P2 · severity high");

    const audit = await listAudit(env.store.db, { caseId });
    const actions = audit.map((e) => e.action);
    expect(actions.filter((a) => a === "tora.step")).toHaveLength(4);
    expect(actions).toEqual(expect.arrayContaining(["tora.decision", "case.updated", "case.transition", "comment.added"]));
    const steps = audit.filter((e) => e.action === "tora.step").map((e) => e.data.step);
    expect(steps).toEqual([1, 2, 3, 4]);
    expect(audit.find((e) => e.action === "tora.decision")!.data).toMatchObject({ decision_id: decision.id, verdict: "ESCALATED", forced_rules: ["severity_high_or_critical"] });
    expect((await verifyAuditChain(env.store.db)).ok).toBe(true);

    expect(await jobs("journal.post")).toEqual([{ payload: { decision_id: decision.id }, dedupe_key: `journal:${decision.id}` }]);
  });

  it("closes a suppressed vendor process with its verdict, rationale and suppression", async () => {
    await insertSuppression(env.store.db, SUP_7);
    const caseId = await caseOf(signedVendorProcess());
    const decision = await triageCase(env.store.db, caseId, clock);
    expect(decision.verdict).toBe("CLOSED");
    const output = ToraOutput.parse(decision.output);
    const c = (await getCase(env.store.db, caseId))!;
    expect(c).toMatchObject({
      status: "closed",
      verdict: "benign_true_positive",
      verdict_rationale: output.rationale,
      suppression_id: "SUP-7",
      crew_verdict: "CLOSED",
      priority: "P4",
    });
    expect(c.closed_at).not.toBeNull();
    expect(c.assignee).toBeNull();
  });

  it("does not close on a suppression that has expired since enrichment", async () => {
    await insertSuppression(env.store.db, { ...SUP_7, expires_at: "2026-11-20T00:00:00.000Z" });
    const caseId = await caseOf(signedVendorProcess());
    const decision = await triageCase(env.store.db, caseId, clock);
    expect(decision.verdict).not.toBe("CLOSED");
    expect((await getCase(env.store.db, caseId))!.status).not.toBe("closed");
  });

  it("puts an unregistered host on hold for the SOC queue without a verdict", async () => {
    const caseId = await caseOf(
      dnsLookup(
        { domain: "odd.example", severity: "low" },
        { asset: null, threat_intel: { verdict: "suspicious", matches: [intelMatch("odd.example", 2)] }, meta: { context_completeness: "insufficient", missing_fields: ["asset.criticality", "asset.environment"] } },
      ),
    );
    const decision = await triageCase(env.store.db, caseId, clock);
    expect(decision.verdict).toBe("INSUFFICIENT_CONTEXT");
    const c = (await getCase(env.store.db, caseId))!;
    expect(c).toMatchObject({ status: "on_hold", verdict: null, assignee: { kind: "human", name: "soc-queue" }, crew_verdict: "INSUFFICIENT_CONTEXT", priority: "P3" });
    const body = (await listComments(env.store.db, caseId))[0]!.body;
    expect(body).toContain("### Blocked on context");
    expect(body).toContain("`asset.criticality`");
  });

  it("treats an alert without enrichment as missing everything", async () => {
    const caseId = await caseOf(dnsLookup({ severity: "low" }), { enriched: false });
    const decision = await triageCase(env.store.db, caseId, clock);
    const output = ToraOutput.parse(decision.output);
    expect(output.verdict).toBe("INSUFFICIENT_CONTEXT");
    expect(output.insufficient_context_package!.blocking_fields).toEqual(expect.arrayContaining(["asset", "identity"]));
    expect(output.nova_feed.context_completeness).toBe("insufficient");
  });

  it("does not triage a case twice", async () => {
    const caseId = await caseOf(dnsLookup({}, { threat_intel: { verdict: "malicious", matches: [intelMatch("c2.example", 45)] } }));
    const first = await triageCase(env.store.db, caseId, clock);
    const second = await triageCase(env.store.db, caseId, clock);
    expect(second).toEqual(first);
    const count = await env.store.db.selectFrom("decisions").select((eb) => eb.fn.countAll().as("n")).where("case_id", "=", caseId).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
    expect(await listComments(env.store.db, caseId)).toHaveLength(1);
    expect(await jobs("journal.post")).toHaveLength(1);
  });

  it("records its decision but leaves a case a human already took", async () => {
    const caseId = await caseOf(dnsLookup({}, { threat_intel: { verdict: "malicious", matches: [intelMatch("c2.example", 45)] } }));
    await transitionCase(env.store.db, caseId, { to: "on_hold", actor: { kind: "human", name: "maria" } }, clock);
    const decision = await triageCase(env.store.db, caseId, clock);
    expect(decision.verdict).toBe("ESCALATED");
    expect((await getCase(env.store.db, caseId))!.status).toBe("on_hold");
    const skipped = (await listAudit(env.store.db, { caseId })).find((e) => e.action === "tora.transition_skipped");
    expect(skipped?.data).toMatchObject({ status: "on_hold", wanted: "in_progress" });
  });

  it("rolls everything back when the case does not exist", async () => {
    await expect(triageCase(env.store.db, "TORA-20261124-9999", clock)).rejects.toThrow(/not found/);
    expect(await env.store.db.selectFrom("decisions").selectAll().execute()).toEqual([]);
  });

  it("runs as the case.triage job handler", async () => {
    const caseId = await caseOf(signedVendorProcess());
    await insertSuppression(env.store.db, SUP_7);
    await enqueue(env.store.db, TRIAGE_JOB, { case_id: caseId });
    const stats = await runUntilIdle(env.store.db, { handlers: crewHandlers({ clock }), clock });
    expect(stats).toEqual({ processed: 1, failed: 0 });
    const decision = await getToraDecision(env.store.db, caseId);
    expect(decision?.verdict).toBe("CLOSED");
    expect(await jobs("journal.post")).toEqual([{ payload: { decision_id: decision!.id }, dedupe_key: `journal:${decision!.id}` }]);
  });

  it("triages end to end after the context and case stages", async () => {
    const pipelineClock = fixedClock("2025-01-15T12:00:00.000Z", 100);
    await loadContext(
      env.store.db,
      {
        assets: [{ hostname: "DC-01", ips: ["10.0.0.5"], criticality: "critical", environment: "production", crown_jewel_adjacent: true, owner: "it", network_segment: "core", patch_level: "2025-01", edr_present: true }],
        identities: [{ username: "svc-backup", user_type: "service_account", privilege_level: "elevated" }],
        indicators: [{ type: "domain", value: "c2.example", source_count: 45, source_total: 60, category: "c2", associated_malware: "AsyncRAT", first_seen: "2025-01-01T00:00:00.000Z" }],
      },
      { clock: pipelineClock },
    );
    const alert = makeAlert({
      id: "pipeline-1",
      time: "2025-01-15T11:58:00.000Z",
      received_at: "2025-01-15T11:58:05.000Z",
      severity: "medium",
      subtype: "dns_malicious_lookup",
      title: "DNS lookup of c2.example",
      rule: { id: "dns-ti", title: "DNS lookup of a threat-intel domain" },
      host: { name: "DC-01", ip: ["10.0.0.5"] },
      user: { name: "svc-backup" },
      src: { ip: "10.0.0.5" },
      dst: { domain: "c2.example", ip: "198.51.100.7", port: 53 },
      network: { protocol: "dns", query_type: "A", response_code: "NOERROR", answers: ["198.51.100.7"] },
    });
    await storeAlert(env.store.db, alert, null);
    await enqueue(env.store.db, ENRICH_JOB, { alert_id: alert.id });
    const stats = await runUntilIdle(env.store.db, {
      handlers: {
        ...contextHandlers({ historyWindowHours: 24, suppressionMaxAgeDays: 90, clock: pipelineClock }),
        ...caseHandlers({ windowMinutes: 60, clock: pipelineClock }),
        ...crewHandlers({ clock: pipelineClock }),
      },
      clock: pipelineClock,
    });
    expect(stats.failed).toBe(0);
    const row = await env.store.db.selectFrom("alerts").select("case_id").where("id", "=", alert.id).executeTakeFirstOrThrow();
    const decision = await getToraDecision(env.store.db, row.case_id!);
    const output = ToraOutput.parse(decision!.output);
    expect(output.verdict).toBe("ESCALATED");
    expect(output.priority).toBe("P1");
    expect(output.severity).toBe("critical");
    expect(output.forced_escalation.rules.map((r) => r.id)).toEqual(
      expect.arrayContaining(["asset_criticality_high", "crown_jewel_adjacent", "elevated_privilege_user", "service_account_external", "production_severity_medium"]),
    );
    expect(output.escalation_package!.preserved_context.asset).toMatchObject({ hostname: "DC-01", criticality: "critical" });
    expect(output.escalation_package!.hypothesis).toContain("c2.example");
  });
});
