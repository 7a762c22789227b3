import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { VeraOutput, fixedClock } from "../core/index.js";
import { investigateCase } from "../crew/vera/handler.js";
import { connections, macroTree, storeEvents, triagedCase, wordMacro } from "../crew/vera/testing.js";
import { dnsLookup, intelMatch } from "../crew/testing/fixtures.js";
import { parsePost, POST_KEYS, writeDecisionPost } from "./index.js";

describe(`VERA's journal post (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  const clock = fixedClock("2026-11-24T12:00:00.000Z", 100);
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("writes a tier-2 post: frontmatter, root cause, six steps, evidence, timeline and containment", async () => {
    const db = env.store.db;
    await storeEvents(db, connections(6, { ip: "198.51.100.7", port: 443, image: "C:\\Windows\\System32\\rundll32.exe" }));
    const caseId = await triagedCase(db, clock, dnsLookup({}, { threat_intel: { verdict: "malicious", matches: [intelMatch("c2.example", 45)] } }));
    const decision = await investigateCase(db, caseId, clock);
    const output = VeraOutput.parse(decision.output);

    const file = await writeDecisionPost(db, env.home, decision.id);
    expect(path.basename(file)).toBe(`2-vera-${decision.id.replace(/-/g, "").slice(0, 8)}.md`);
    const { frontmatter, body } = parsePost(readFileSync(file, "utf8"));
    expect(Object.keys(frontmatter)).toEqual([...POST_KEYS]);
    expect(frontmatter).toMatchObject({
      author: "VERA",
      tier: 2,
      case_ids: [caseId],
      disposition: "ESCALATE_TO_ARIA",
      title: `${caseId.replace("TORA", "VERA")} — DNS query for c2.example`,
      priority: "P1",
      severity: output.severity,
      confidence: null,
    });
    expect(frontmatter.description).toMatch(new RegExp(`^VERA: ESCALATE_TO_ARIA \\(${output.severity} severity, P1\\)\\. WS-042 is in active communication with c2\\.example`));
    expect(frontmatter.tags).toEqual(expect.arrayContaining(["escalate_to_aria", "true_positive", "root-cause-confirmed", "hypothesis-confirmed"]));

    // The post: the summary a reader needs on shift, with the full investigation one link away.
    expect(body).toContain("**Verdict: ESCALATE_TO_ARIA** (handed to ARIA for containment)");
    expect(body).toContain("**Hypothesis.** TORA's hypothesis is **CONFIRMED**");
    expect(body).toMatch(/\*\*Next step\.\*\* Contain \(immediate\): isolate_host `WS-042`/);
    expect(body.split(/\s+/).filter(Boolean).length).toBeLessThanOrEqual(350);
    const link = /\[Full reasoning trace\]\(\.\.\/\.\.\/(traces\/[^)]+)\)/.exec(body)![1]!;
    expect(link).toBe(`traces/${caseId}/${path.basename(file)}`);
    expect(body).not.toContain("### 1. Intake and scope");

    const trace = parsePost(readFileSync(path.join(env.home, "journal", link), "utf8"));
    expect(trace.frontmatter.title).toBe(`${frontmatter.title} — reasoning trace`);
    const full = trace.body;
    expect(full).toContain("## TORA's hypothesis\n\n**CONFIRMED**");
    for (const [i, name] of ["Intake and scope", "Endpoint", "Network", "Logs and identity", "ATT&CK checklist", "Root cause and disposition"].entries())
      expect(full).toContain(`### ${i + 1}. ${name}`);
    for (const e of output.evidence) expect(full).toContain(`| \`${e.id}\` | ${e.weight} | \`${e.type}\` |`);
    expect(full).toMatch(/- \*\*2026-11-24 10:03:00Z\*\* · command-and-control · high — 6 connection\(s\) to 198\.51\.100\.7:443/);
    expect(full).toContain("## Containment — immediate");
    expect(full).toContain("1. `isolate_host` on `WS-042`");
    expect(full).toContain("**If not contained:** The implant keeps receiving commands");
    expect(body).toMatch(/\*VERA, tier 2 · decision `[0-9a-f-]+` · analyst `deterministic`/);
  });

  it("redacts secrets and keeps attacker text from breaking the evidence table", async () => {
    const db = env.store.db;
    const line = "powershell -enc SQBFAFgA | net use \\\\fs01 /user:corp\\svc password=Hunter2Secret";
    await storeEvents(db, macroTree(line));
    const caseId = await triagedCase(db, clock, wordMacro({}, line));
    const decision = await investigateCase(db, caseId, clock);
    const post = readFileSync(await writeDecisionPost(db, env.home, decision.id), "utf8");
    expect(post).not.toContain("Hunter2Secret");
    const markdown = readFileSync(path.join(env.home, "journal", /\]\(\.\.\/\.\.\/(traces\/[^)]+)\)/.exec(post)![1]!), "utf8");
    expect(markdown).not.toContain("Hunter2Secret");
    const row = markdown.split("\n").find((l) => l.startsWith("| `EVD-") && l.includes("powershell -enc"))!;
    expect(row).toContain("\\| net use");
    expect(row.split(/(?<!\\)\|/).length).toBe(7);
  });
});
