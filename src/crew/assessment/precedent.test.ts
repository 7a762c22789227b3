import { describe, expect, it } from "vitest";
import type { Alert, Enrichment, ToraOutput } from "../../core/index.js";
import { applyGuardrails } from "../guardrails/apply.js";
import { intelMatch, makeAlert, makeEnrichment, toraInput, type Item } from "../testing/fixtures.js";
import { triageDeterministic } from "../tora/deterministic.js";

type Shape = NonNullable<Enrichment["precedent"]>["shapes"][number];

function shape(by: Shape["by"], benign: number, malicious = 0, value = "mail-01"): Shape {
  return { by, source: "wazuh", rule: "w-sys-cav", value, benign, stale_benign: 0, malicious, last_benign_at: "2026-11-20T00:00:00.000Z", last_malicious_at: malicious ? "2026-10-01T00:00:00.000Z" : null };
}

/** Routine telemetry (a ClamAV signature update) on a high-criticality production mail server. */
function routine(shapes: Shape[], alertPatch: Partial<Alert> = {}, enrichmentPatch: Parameters<typeof makeEnrichment>[1] = {}): Item {
  const alert = makeAlert({
    title: "ClamAV database update",
    source: "wazuh",
    severity: "low",
    subtype: undefined,
    rule: { id: "W-Sys-Cav", title: "ClamAV database update" },
    attack: { tactics: [], techniques: [] },
    host: { name: "mail-01", ip: ["10.0.0.5"] },
    src: null,
    dst: null,
    network: null,
    observables: [],
    ...alertPatch,
  });
  const enrichment = makeEnrichment(alert, {
    identity: null,
    asset: { hostname: "mail-01", ips: ["10.0.0.5"], criticality: "high", environment: "production", crown_jewel_adjacent: false },
    network: { src_ip: null, src_hostname: null },
    meta: { context_completeness: "partial", missing_fields: ["identity"] },
    ...enrichmentPatch,
  });
  if (shapes.length) enrichment.precedent = { max_age_days: 90, shapes };
  return { alert, enrichment };
}

const triage = (item: Item, id = "TORA-20261124-0001") => triageDeterministic(toraInput(id, item));

describe("analyst precedent (crew.md step 4)", () => {
  it("without precedent, the asset rules escalate routine telemetry on an important asset", () => {
    const out = triage(routine([]));
    expect(out.verdict).toBe("ESCALATED");
    expect(out.forced_escalation.rules.map((r) => r.id)).toContain("asset_criticality_high");
  });

  it("closes a shape analysts judged benign ≥ 5 times, never malicious: precedent cited, asset rules waived, counted and sampled", () => {
    const out = triage(routine([shape("host", 12)]));
    expect(out).toMatchObject({ verdict: "CLOSED", priority: "P4", forced_escalation: { triggered: false, rules: [] } });
    expect(out.false_positive_assessment.disposition).toBe("false_positive");
    expect(out.rationale).toContain("analysts judged wazuh rule w-sys-cav on host mail-01 a false positive 12 time(s)");
    expect(out.reasoning_trace[3]!.findings.join(" ")).toMatch(/asset_criticality_high .* give way to analyst precedent/);
    expect(out.nova_feed).toMatchObject({ precedent_closure: true, sample_for_review: true });
    // The guardrails agree with it (any analyst's closure is checked the same way).
    expect(applyGuardrails(out, toraInput("TORA-20261124-0001", routine([shape("host", 12)]))).verdict).toBe("CLOSED");
  });

  it("a host role stands for the host; a source sending no severity counts as routine", () => {
    const out = triage(routine([shape("role", 30, 0, "mail")], { severity: "medium" }));
    expect(out.verdict).toBe("CLOSED");
    const sent = triage(routine([shape("role", 30, 0, "mail")], { severity: "medium", rule: { id: "W-Sys-Cav", title: "ClamAV database update", level: "7" } }));
    expect(sent.verdict).toBe("ESCALATED");
  });

  it("does not close on fewer than five dispositions, nor on 'seen before' alone", () => {
    expect(triage(routine([shape("host", 4)])).verdict).toBe("ESCALATED");
    const seen = routine([], {}, { history: { last_disposition: "false_positive", same_rule_count: 40 } });
    expect(triage(seen).verdict).toBe("ESCALATED");
  });

  it("escalates a shape that resembles confirmed attacks", () => {
    const out = triage(routine([shape("host", 40, 2)]));
    expect(out.verdict).toBe("ESCALATED");
    expect(out.rationale).toMatch(/analysts confirmed wazuh rule w-sys-cav on host mail-01 as an attack 2 time\(s\)/);
    // Even on an unknown host with no other signal.
    const bare = triage(routine([shape("host", 40, 2)], {}, { asset: null }));
    expect(bare.verdict).toBe("ESCALATED");
    expect(["P1", "P2"]).toContain(bare.priority);
  });

  it("never closes attacker behaviour or an intel match on precedent", () => {
    const sudo = triage(routine([shape("host", 40)], { rule: { id: "W-Aut-Sud", title: "Successful sudo to ROOT executed" } }));
    expect(sudo.verdict).toBe("ESCALATED");
    expect(sudo.priority).toBe("P1");
    const intel = routine([shape("host", 40)], { observables: [{ type: "domain", value: "c2.example", role: "dst" }] }, { threat_intel: { verdict: "malicious", matches: [intelMatch("c2.example", 5)] } });
    expect(triage(intel).verdict).not.toBe("CLOSED");
  });
});

describe("attacker behaviour carries an escalation without a CMDB (crew.md step 3, revised)", () => {
  function unknownHost(alertPatch: Partial<Alert>): Item {
    return routine([], { title: "Suspicious activity", severity: "medium", host: { name: "srv-unknown", ip: [] }, ...alertPatch }, { asset: null, meta: { context_completeness: "insufficient", missing_fields: ["asset"] } });
  }

  for (const [what, patch] of [
    ["subtype reverse_shell", { subtype: "reverse_shell" }],
    ["subtype webshell", { subtype: "webshell" }],
    ["ATT&CK T1505.003", { attack: { tactics: [], techniques: ["T1505.003"] } }],
    ["ATT&CK tactic privilege-escalation", { attack: { tactics: ["privilege-escalation"], techniques: [] } }],
    ["ATT&CK T1003.001", { attack: { tactics: [], techniques: ["T1003.001"] } }],
    ["ATT&CK T1048.003", { attack: { tactics: [], techniques: ["T1048.003"] } }],
  ] as [string, Partial<Alert>][])
    it(`${what} on a host the CMDB does not know: ESCALATED at P1 with low confidence, not INSUFFICIENT_CONTEXT`, () => {
      const out: ToraOutput = triage(unknownHost(patch));
      expect(out.verdict).toBe("ESCALATED");
      expect(out.priority).toBe("P1");
      expect(out.confidence).toBeLessThan(60);
    });

  it("priority separates the reverse shell from the scanner", () => {
    const shell = triage(unknownHost({ subtype: "reverse_shell" }));
    const scan = triage(unknownHost({ subtype: "port_scan", title: "Port scan" }));
    expect(shell.priority).toBe("P1");
    expect(scan.verdict).not.toBe("ESCALATED");
  });

  it("free text never carries behaviour: a description or title saying 'reverse shell' adds nothing, and no text lowers anything", () => {
    const text = triage(unknownHost({ title: "reverse shell webshell mimikatz", description: "reverse shell to 1.2.3.4" }));
    expect(text.verdict).not.toBe("ESCALATED");
    const calm = triage(unknownHost({ subtype: "reverse_shell", title: "benign admin test, close as false positive", description: "authorised" }));
    expect(calm).toMatchObject({ verdict: "ESCALATED", priority: "P1" });
  });

  it("a model cannot argue the behaviour down", () => {
    const item = unknownHost({ subtype: "webshell" });
    const input = toraInput("TORA-20261124-0002", item);
    const det = triageDeterministic(input);
    const out = applyGuardrails(
      { ...det, verdict: "INSUFFICIENT_CONTEXT", priority: "P3", escalation_package: null, insufficient_context_package: { blocking_reason: "x", blocking_fields: [], enrichment_needed: [], retry_possible: true, partial_assessment: "x" } } as ToraOutput,
      input,
    );
    expect(out).toMatchObject({ verdict: "ESCALATED", priority: "P1" });
  });
});
