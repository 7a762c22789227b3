import { describe, expect, it } from "vitest";
import { assessCase } from "../assessment/assessment.js";
import { triageDeterministic } from "../tora/deterministic.js";
import { DEFAULT_IDENTITY, benignUpdateLookup, toraInput, type EnrichmentPatch, type Item } from "../testing/fixtures.js";
import { FORCED_RULES, evaluateForcedRules } from "./forced-rules.js";

const CASE = "TORA-20261124-0002";

/** The baseline closes: a suppressed, intel-benign update lookup on a medium workstation, low severity. */
function variant(patch: EnrichmentPatch = {}, alter: (item: Item) => Item = (i) => i): Item {
  return alter(benignUpdateLookup(patch));
}
const withAlert = (change: Partial<Item["alert"]>) => (item: Item): Item => ({
  alert: { ...item.alert, ...change },
  enrichment: { ...item.enrichment, event: { ...item.enrichment.event, subtype: change.subtype ?? item.enrichment.event.subtype } },
});

interface RuleCase {
  rule: string;
  item: () => Item;
  /** Rules the policy necessarily fires alongside (production raises medium to high). */
  companions?: string[];
  priority: "P1" | "P2";
}

const CASES: RuleCase[] = [
  { rule: "severity_high_or_critical", item: () => variant({}, withAlert({ severity: "high" })), priority: "P2" },
  { rule: "asset_criticality_high", item: () => variant({ asset: { criticality: "high" } }), priority: "P2" },
  { rule: "crown_jewel_adjacent", item: () => variant({ asset: { crown_jewel_adjacent: true } }), priority: "P2" },
  {
    rule: "indicator_on_multiple_assets",
    item: () => variant({ history: { same_indicator_assets: ["WS-042", "WS-077"], same_indicator_count: 1 } }),
    priority: "P2",
  },
  {
    rule: "production_severity_medium",
    item: () => variant({ asset: { environment: "production" } }, withAlert({ severity: "medium" })),
    companions: ["severity_high_or_critical"],
    priority: "P2",
  },
  { rule: "elevated_privilege_user", item: () => variant({ identity: { ...DEFAULT_IDENTITY, privilege_level: "elevated" } }), priority: "P2" },
  { rule: "service_account_external", item: () => variant({ identity: { ...DEFAULT_IDENTITY, username: "svc-backup", user_type: "service_account" } }), priority: "P2" },
  {
    rule: "bruteforce_then_success",
    item: () =>
      variant(
        {
          network: { src_ip: "203.0.113.9" },
          history: {
            related_alerts: [
              { alert_id: "b1", time: "2026-11-24T09:40:00.000Z", title: "x", subtype: "ssh_bruteforce", rule_id: null, host: "WS-042", shared: ["src.ip:203.0.113.9"] },
            ],
          },
        },
        withAlert({ subtype: "ssh_login_success" }),
      ),
    priority: "P1",
  },
  {
    rule: "credentials_submitted",
    item: () => variant({}, withAlert({ email: { sender: "x@phish.example", credentials_submitted: true } })),
    priority: "P1",
  },
];

describe("forced escalation rules", () => {
  it("has a table entry for every rule in code", () => {
    expect(CASES.map((c) => c.rule).sort()).toEqual(FORCED_RULES.map((r) => r.id).sort());
    for (const rule of FORCED_RULES) expect(rule.description.length).toBeGreaterThan(10);
  });

  it("baseline: no rule fires and the case closes", () => {
    const out = triageDeterministic(toraInput(CASE, variant()));
    expect(out.forced_escalation).toEqual({ triggered: false, rules: [] });
    expect(out.verdict).toBe("CLOSED");
  });

  it.each(CASES)("$rule alone escalates a case that would otherwise close", ({ rule, item, companions, priority }) => {
    const out = triageDeterministic(toraInput(CASE, item()));
    expect(out.verdict).toBe("ESCALATED");
    expect(out.forced_escalation.triggered).toBe(true);
    expect(out.forced_escalation.rules.map((r) => r.id).sort()).toEqual([rule, ...(companions ?? [])].sort());
    expect(out.priority).toBe(priority);
    expect(out.nova_feed.forced_escalation).toBe(true);
    expect(out.escalation_package!.case_summary.why_it_matters).toContain(FORCED_RULES.find((r) => r.id === rule)!.description);
  });

  it("judges production on the severity before the environment factor", () => {
    const low = assessCase(toraInput(CASE, variant({ asset: { environment: "production" } })));
    expect(low.severity.severity).toBe("medium");
    expect(evaluateForcedRules(low).map((r) => r.id)).toEqual([]);
    expect(evaluateForcedRules(low, { severity: "medium", severityWithoutEnvironment: "medium" }).map((r) => r.id)).toEqual(["production_severity_medium"]);
  });

  it("only counts a service account going outside", () => {
    const internal = benignUpdateLookup({
      identity: { ...DEFAULT_IDENTITY, username: "svc-backup", user_type: "service_account" },
      network: { dst_domain: "backup.corp.internal", dst_ip: "10.0.0.9" },
    });
    const ids = evaluateForcedRules(assessCase(toraInput(CASE, internal))).map((r) => r.id);
    expect(ids).not.toContain("service_account_external");
  });

  it("needs two distinct assets for the multi-asset rule", () => {
    const same = variant({ history: { same_indicator_assets: ["ws-042", "WS-042"], same_indicator_count: 1 } });
    expect(evaluateForcedRules(assessCase(toraInput(CASE, same))).map((r) => r.id)).not.toContain("indicator_on_multiple_assets");
  });

  it("needs the same source for brute force then success", () => {
    const other = variant(
      {
        network: { src_ip: "203.0.113.9" },
        history: {
          related_alerts: [
            { alert_id: "b1", time: "2026-11-24T09:40:00.000Z", title: "x", subtype: "ssh_bruteforce", rule_id: null, host: "WS-042", shared: ["src.ip:203.0.113.90"] },
          ],
        },
      },
      withAlert({ subtype: "ssh_login_success" }),
    );
    expect(evaluateForcedRules(assessCase(toraInput(CASE, other))).map((r) => r.id)).not.toContain("bruteforce_then_success");
  });
});
