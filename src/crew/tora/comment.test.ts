import { marked } from "marked";
import { describe, expect, it } from "vitest";
import { dnsLookup, intelMatch, signedVendorProcess, toraInput } from "../testing/fixtures.js";
import { inlineMarkdown, renderToraComment } from "./comment.js";
import { triageDeterministic } from "./deterministic.js";

const CASE = "TORA-20261124-0004";

describe("renderToraComment", () => {
  it("writes an escalation as TORA: decision heading, the four steps, rules, hypothesis and ordered focus", () => {
    const out = triageDeterministic(toraInput(CASE, dnsLookup({}, { threat_intel: { verdict: "malicious", matches: [intelMatch("c2.example", 45)] } })));
    const body = renderToraComment(out, "DNS query for c2.example");
    expect(body.split("\n")[0]).toBe(`## TORA triage — ESCALATED · ${out.priority} · severity high · confidence ${out.confidence} (${out.confidence_label})`);
    for (const heading of ["### Forced escalation rules", "### Reasoning", "### Hand-off to VERA", "### Narrative"]) expect(body).toContain(heading);
    expect(body).toContain("1. **Severity**");
    expect(body).toContain("4. **Decision**");
    expect(body).toContain("`severity_high_or_critical`");
    expect(body).toContain("**Hypothesis.**");
    const focus = out.escalation_package!.suggested_focus;
    expect(body.indexOf(inlineMarkdown(focus[0]!))).toBeLessThan(body.indexOf(inlineMarkdown(focus[1]!)));
    expect(body).not.toContain("### Blocked on context");
  });

  it("lists blocking fields for insufficient context and notes no rule fired", () => {
    const out = triageDeterministic(
      toraInput(CASE, dnsLookup({ domain: "odd.example", severity: "low" }, { asset: null, meta: { context_completeness: "insufficient", missing_fields: ["asset.criticality"] } })),
    );
    const body = renderToraComment(out, "odd");
    expect(body).toContain("INSUFFICIENT_CONTEXT · P3");
    expect(body).toContain("**Blocking fields:** `asset.criticality`");
    expect(body).toContain("None fired.");
    expect(body).not.toContain("### Hand-off to VERA");
  });

  it("names the first indicators of a huge case and stays under the comment limit", () => {
    const out = triageDeterministic(toraInput(CASE, dnsLookup({}, { threat_intel: { verdict: "malicious", matches: [intelMatch("c2.example", 45)] } })));
    const ips = Array.from({ length: 5000 }, (_, i) => `10.${Math.floor(i / 250)}.${i % 250}.1`);
    const huge = {
      ...out,
      escalation_package: { ...out.escalation_package!, indicators: { ...out.escalation_package!.indicators, ips } },
      narrative: "x ".repeat(60_000),
    };
    const body = renderToraComment(huge, "password spray");
    expect(body).toContain("`10.0.24.1` … and 4975 more");
    expect(body).not.toContain("`10.0.25.1`");
    expect(body.length).toBeLessThanOrEqual(100_000);
    expect(body).toContain("comment cut at");
  });

  it("names the suppression of a closed case", () => {
    const body = renderToraComment(triageDeterministic(toraInput(CASE, signedVendorProcess())), "OneDrive update");
    expect(body).toContain("CLOSED · P4");
    expect(body).toContain("suppression `SUP-7`");
  });

  it("renders attacker text literally: no links, no HTML, no new headings", () => {
    const out = triageDeterministic(toraInput(CASE, signedVendorProcess()));
    const title = "Urgent <img src=x onerror=alert(1)> [approve](https://evil.example)\n# CLOSED by analyst";
    const html = marked.parse(renderToraComment(out, title), { async: false });
    expect(html).not.toContain("<img");
    expect(html).not.toContain('href="https://evil.example"');
    expect(html).not.toMatch(/<h1>CLOSED by analyst/);
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });
});
