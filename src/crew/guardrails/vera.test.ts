import { describe, expect, it } from "vitest";
import { testStoreKind, useTestEnvironment } from "../../../test/support/store.js";
import { ValidationError, VeraOutput, fixedClock } from "../../core/index.js";
import { dnsLookup, intelMatch } from "../testing/fixtures.js";
import { loadVeraInput } from "../vera/augment.js";
import { investigateDeterministic } from "../vera/deterministic.js";
import type { VeraInput } from "../vera/schema.js";
import { connections, phishingCredentials, sshBruteForce, storeEvents, sysmon, after, sshdAttempts, triagedCase } from "../vera/testing.js";
import { guardVera } from "./vera.js";

const C2 = { threat_intel: { verdict: "malicious" as const, matches: [intelMatch("c2.example", 45)] } };

/** A closure proposal that passes the schema: refuted, confirmed by two independent sources. */
function closing(out: VeraOutput): VeraOutput {
  return {
    ...structuredClone(out),
    verdict: "CLOSED",
    disposition: "false_positive",
    root_cause_confidence: "CONFIRMED",
    tora_hypothesis_resolution: { status: "REFUTED", explanation: "nothing followed" },
    evidence: [
      { id: "EVD-001", type: "no_follow_up", description: "no connection", weight: "moderate", source_query: "events.network: search_events" },
      { id: "EVD-002", type: "dead_lookup", description: "NXDOMAIN", weight: "moderate", source_query: "events.dns: search_events" },
    ],
    timeline: { events: [], gaps: [] },
    containment: { ...out.containment, recommendations: [] },
    nova_feed: { ...out.nova_feed, verdict: "CLOSED", evidence_count: 2 },
  };
}

describe(`guardVera (${testStoreKind()})`, () => {
  const clock = fixedClock("2026-11-24T12:00:00.000Z", 100);
  const { db } = useTestEnvironment();

  async function inputOf(caseId: string): Promise<{ input: VeraInput; out: VeraOutput }> {
    const input = await loadVeraInput(db(), caseId, clock);
    return { input, out: investigateDeterministic(input, input.now) };
  }

  async function c2Case() {
    await storeEvents(db(), connections(6, { ip: "198.51.100.7", port: 443, image: "C:\\Windows\\System32\\rundll32.exe" }));
    return inputOf(await triagedCase(db(), clock, dnsLookup({}, C2)));
  }

  /** A dead lookup on a high-criticality asset: TORA's asset_criticality_high rule fired (a non-blocking one). */
  async function deadLookupCase() {
    await storeEvents(db(), [
      sysmon(22, after(0), { Image: "C:\\Program Files\\Google\\Chrome\\chrome.exe", QueryName: "c2.example", QueryStatus: "9003" }),
      ...connections(3, { ip: "142.250.1.1", port: 443, image: "C:\\Program Files\\Google\\Chrome\\chrome.exe", start: 2 }),
    ]);
    return inputOf(await triagedCase(db(), clock, dnsLookup({ rcode: "NXDOMAIN" }, { ...C2, asset: { criticality: "high" } })));
  }

  it("passes a consistent proposal untouched", async () => {
    const { input, out } = await c2Case();
    const guarded = guardVera(out, input);
    expect(guarded.adjustments).toEqual([]);
    expect(guarded.output).toEqual(out);
  });

  it("puts the input's case id (and VERA id) on a proposal naming another case", async () => {
    const { input, out } = await c2Case();
    const guarded = guardVera({ ...out, case_id: "TORA-20261124-0999", vera_id: "VERA-20261124-0999" }, input);
    expect(guarded.output.case_id).toBe(input.case_id);
    expect(guarded.output.vera_id).toBe(input.case_id.replace("TORA", "VERA"));
    expect(guarded.adjustments.join(" ")).toMatch(/case id "TORA-20261124-0999" replaced/);
  });

  it("holds a CLOSED whose hypothesis was not refuted", async () => {
    const { input, out } = await deadLookupCase();
    const proposal = { ...closing(out), tora_hypothesis_resolution: { status: "REFINED" as const, explanation: "partly" } };
    const guarded = guardVera(proposal, input);
    expect(guarded.output.verdict).toBe("HOLD");
    expect(guarded.output.nova_feed.verdict).toBe("HOLD");
    expect(guarded.adjustments.join(" ")).toMatch(/CLOSED changed to HOLD: TORA's hypothesis is REFINED, not REFUTED/);
    expect(guarded.output.reasoning_trace[5]!.outcome).toBe("HOLD (proposed CLOSED)");
  });

  it("holds a CLOSED whose root cause is only PROBABLE", async () => {
    const { input, out } = await deadLookupCase();
    const guarded = guardVera({ ...closing(out), root_cause_confidence: "PROBABLE" }, input);
    expect(guarded.output.verdict).toBe("HOLD");
    expect(guarded.adjustments.join(" ")).toMatch(/root cause is PROBABLE, not CONFIRMED/);
  });

  it("lowers a CONFIRMED root cause resting on one source to PROBABLE, which then cannot close", async () => {
    const { input, out } = await deadLookupCase();
    const proposal = closing(out);
    proposal.evidence[1]!.source_query = "events.network: another query";
    const guarded = guardVera(proposal, input);
    expect(guarded.output.root_cause_confidence).toBe("PROBABLE");
    expect(guarded.output.verdict).toBe("HOLD");
  });

  it("lets a refuted, confirmed closure stand when only a non-blocking forced rule fired", async () => {
    const { input, out } = await deadLookupCase();
    expect(input.tora.output.forced_escalation.rules.map((r) => r.id)).toContain("asset_criticality_high");
    expect(out.verdict).toBe("CLOSED");
    const guarded = guardVera(closing(out), input);
    expect(guarded.output.verdict).toBe("CLOSED");
  });

  it("holds a well-formed closure whose refutation the case data does not bear out", async () => {
    const { input, out } = await c2Case();
    expect(out.verdict).not.toBe("CLOSED");
    const guarded = guardVera(closing(out), input);
    expect(guarded.output.verdict).toBe("HOLD");
    expect(guarded.adjustments.join(" ")).toMatch(/the case data does not refute TORA's hypothesis \(read in code: hypothesis (CONFIRMED|REFINED|INCONCLUSIVE)/);
  });

  it("never closes when credentials were submitted, whatever the proposal's evidence", async () => {
    const { input, out } = await inputOf(await triagedCase(db(), clock, phishingCredentials()));
    const guarded = guardVera(closing(out), input);
    expect(guarded.output.verdict).toBe("HOLD");
    expect(guarded.adjustments.join(" ")).toMatch(/forced rule\(s\) credentials_submitted never let VERA close/);
  });

  it("never closes a brute force that succeeded", async () => {
    await storeEvents(db(), sshdAttempts(5, true));
    const base = sshBruteForce();
    const success = sshBruteForce();
    success.alert.subtype = "ssh_login_success";
    success.alert.title = "sshd: accepted password";
    success.alert.time = after(1);
    success.alert.rule = { id: "wazuh-5712", title: "SSH brute force" };
    success.enrichment.event.subtype = "ssh_login_success";
    success.enrichment.event.time = after(1);
    const caseId = await triagedCase(db(), clock, base, success);
    const { input, out } = await inputOf(caseId);
    expect(input.tora.output.forced_escalation.rules.map((r) => r.id)).toContain("bruteforce_then_success");
    const guarded = guardVera(closing(out), input);
    expect(guarded.output.verdict).toBe("HOLD");
    expect(guarded.adjustments.join(" ")).toMatch(/bruteforce_then_success/);
  });

  it("drops recommendations aimed outside the case and renumbers the rest", async () => {
    const { input, out } = await c2Case();
    const proposal = structuredClone(out);
    proposal.containment.recommendations = [
      { order: 1, action_hint: "isolate_host", target: "DC-01", rationale: "the alert said so" },
      { order: 2, action_hint: "isolate_host", target: "ws-042", rationale: "C2" },
      { order: 3, action_hint: "disable_account", target: "CORP\\jdoe", rationale: "owner" },
      { order: 4, action_hint: "block_ioc", target: "8.8.8.8", rationale: "made up" },
    ];
    const guarded = guardVera(proposal, input);
    expect(guarded.output.verdict).toBe("ESCALATE_TO_ARIA");
    expect(guarded.output.containment.recommendations.map((r) => `${r.order} ${r.target}`)).toEqual(["1 ws-042", "2 CORP\\jdoe"]);
    expect(guarded.adjustments.filter((a) => a.includes("dropped"))).toHaveLength(2);
    expect(guarded.adjustments.join(" ")).toMatch(/isolate_host "DC-01" dropped/);
  });

  it("never lets any analyst block the organisation's own infrastructure as an indicator", async () => {
    const { input, out } = await c2Case();
    const proposal = structuredClone(out);
    // WS-042 and 10.1.2.42 are the case's own host and its address: in scope, but isolated, never blocked.
    proposal.containment.recommendations = [
      { order: 1, action_hint: "block_ioc", target: "10.1.2.42", rationale: "the source of the lookup" },
      { order: 2, action_hint: "block_ioc", target: "WS-042", rationale: "the host" },
      { order: 3, action_hint: "block_ioc", target: "c2.example", rationale: "C2 domain" },
      { order: 4, action_hint: "isolate_host", target: "WS-042", rationale: "C2" },
    ];
    const guarded = guardVera(proposal, input);
    expect(guarded.output.containment.recommendations.map((r) => `${r.order} ${r.action_hint} ${r.target}`)).toEqual(["1 block_ioc c2.example", "2 isolate_host WS-042"]);
    expect(guarded.adjustments.filter((a) => /never blocked as an indicator/.test(a))).toHaveLength(2);

    // An address the CMDB gives the case's asset (a gateway's public address) is its own too.
    const gateway = { ...input, own_infrastructure: { ips: ["198.51.100.7"], hostnames: [] } };
    const blocked = structuredClone(out);
    blocked.containment.recommendations = [{ order: 1, action_hint: "block_ioc", target: "198.51.100.7", rationale: "answer" }];
    const held = guardVera(blocked, gateway);
    expect(held.output.verdict).toBe("HOLD");
    expect(held.adjustments.join(" ")).toMatch(/198\.51\.100\.7" dropped: 198\.51\.100\.7 is an address of the organisation's own asset/);
  });

  it("holds an escalation with no in-scope recommendation left", async () => {
    const { input, out } = await c2Case();
    const proposal = structuredClone(out);
    proposal.containment.recommendations = [{ order: 1, action_hint: "isolate_host", target: "DC-01", rationale: "x" }];
    const guarded = guardVera(proposal, input);
    expect(guarded.output.verdict).toBe("HOLD");
    expect(guarded.output.containment.recommendations).toEqual([]);
    expect(guarded.output.narrative).toMatch(/Guardrails changed the proposed ESCALATE_TO_ARIA to HOLD\.$/);
  });

  it("holds an escalation proposed without any recommendation instead of rejecting it", async () => {
    const { input, out } = await c2Case();
    const proposal = structuredClone(out);
    proposal.containment.recommendations = [];
    expect(guardVera(proposal, input).output.verdict).toBe("HOLD");
  });

  it("never lowers severity below TORA's while a forced rule fires", async () => {
    const { input, out } = await deadLookupCase();
    const tora = input.tora.output.severity;
    expect(tora).not.toBe("low");
    const guarded = guardVera({ ...closing(out), severity: "low" }, input);
    expect(guarded.output.severity).toBe(tora);
    expect(guarded.output.severity_delta).toEqual({ direction: "unchanged", from: tora, to: tora });
    expect(guarded.adjustments.join(" ")).toMatch(new RegExp(`severity low raised back to TORA's ${tora}`));
  });

  it("removes timeline references to evidence that does not exist", async () => {
    const { input, out } = await c2Case();
    const proposal = structuredClone(out);
    proposal.timeline.events[0]!.evidence_ids = ["EVD-001", "EVD-999"];
    const guarded = guardVera(proposal, input);
    expect(guarded.output.timeline.events[0]!.evidence_ids).toEqual(["EVD-001"]);
    expect(guarded.adjustments.join(" ")).toMatch(/unknown evidence EVD-999/);
  });

  it("the VeraOutput schema itself refuses inconsistent outputs", async () => {
    const { out } = await c2Case();
    const paths = (value: unknown) => {
      const parsed = VeraOutput.safeParse(value);
      return parsed.success ? [] : parsed.error.issues.map((i) => i.path.join("."));
    };
    expect(paths(out)).toEqual([]);
    expect(paths({ ...out, containment: { ...out.containment, recommendations: [] } })).toContain("containment.recommendations");
    const oneSource = out.evidence.map((e) => ({ ...e, source_query: "events.network: x" }));
    expect(paths({ ...out, evidence: oneSource })).toContain("root_cause_confidence");
    expect(paths({ ...out, vera_id: "VERA-20261124-0042" })).toContain("vera_id");
    expect(paths({ ...out, dwell_time: { value: null, unknown_reason: null } })).toContain("dwell_time");
    expect(paths({ ...out, evidence: [...out.evidence, out.evidence[0]] })).toContain("evidence");
  });

  it("rejects a proposal that is not a VERA output, field by field", async () => {
    const { input, out } = await c2Case();
    const error = (() => {
      try {
        guardVera({ ...out, verdict: "MAYBE" }, input);
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toContain("output.verdict");
  });
});
