import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { JOURNAL_POST_JOB, fixedClock, ToraOutput, ValidationError } from "../core/index.js";
import { enqueue, runUntilIdle, toJson, type Executor } from "../store/index.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import {
  buildJournalSite,
  journalHandlers,
  parsePost,
  POST_KEYS,
  writeDecisionPost,
  writeShiftReview,
} from "./index.js";

const CASE_ID = "TORA-20261124-0007";
const DECISION_ID = "3f2a9c7e-51b4-4d0a-9e6f-0c1d2e3f4a5b";

/** A realistic TORA escalation, checked against the core schema so the fixture cannot drift from it. */
function escalatedOutput(caseId = CASE_ID): ToraOutput {
  return ToraOutput.parse({
    schema_version: 1,
    agent: "TORA",
    case_id: caseId,
    verdict: "ESCALATED",
    severity: "high",
    confidence: 78,
    confidence_label: "medium",
    priority: "P2",
    rationale:
      "ws-fin-042 resolved a domain that 42 of 60 intel sources tie to Cobalt Strike. The host is adjacent to the payments database, which forces escalation.",
    false_positive_assessment: {
      likely_false_positive: false,
      disposition: "true_positive",
      reasoning: "No suppression covers cdn-update.badcdn.example, and the lookup resolved (NOERROR).",
      suppression_rule_id: null,
    },
    forced_escalation: {
      triggered: true,
      rules: [
        { id: "crown_jewel_adjacent", description: "Asset is adjacent to a crown jewel" },
        { id: "severity_high", description: "Severity is high or critical" },
      ],
    },
    reasoning_trace: [
      {
        step: 1,
        name: "Severity",
        findings: ["Source severity medium", "Asset criticality high: raised one step", "NOERROR: the lookup resolved"],
        outcome: "high",
      },
      {
        step: 2,
        name: "False-positive check",
        findings: ["No suppression younger than 90 days", "Helpdesk ran mysql -u audit -pW1nter2026 -h 10.20.30.40 minutes earlier"],
        outcome: "not a known false positive",
      },
      {
        step: 3,
        name: "Context sufficiency",
        findings: ["network: query and answer present", "asset: CMDB record present", "identity: recent_anomaly unknown"],
        outcome: "sufficient: two of three axes carry signal",
      },
      { step: 4, name: "Decision", findings: ["Forced rules fired before any judgment"], outcome: "ESCALATED" },
    ],
    narrative:
      "At 09:12 UTC ws-fin-042 asked for cdn-update.badcdn.example and got an answer. Intel is strong (42/60, Cobalt Strike, 12 days old). The host sits next to the payments database. I could not rule out an active beacon, so this goes to VERA.",
    escalation_package: {
      case_summary: {
        trigger: "DNS lookup of a known C2 domain",
        what_was_found: "Resolved lookup (NOERROR) from a crown-jewel-adjacent workstation",
        what_was_ruled_out: "No suppression and no change ticket",
        why_it_matters: "A beacon on this host is one hop from payments",
      },
      hypothesis: "ws-fin-042 runs a Cobalt Strike beacon that started after the 09:05 macro document was opened.",
      suggested_focus: ["Process tree around 09:05–09:12 on ws-fin-042", "Netflow to 203.0.113.77 after 09:12 (beacon interval)"],
      priority: "P2",
      indicators: {
        domains: ["cdn-update.badcdn.example"],
        ips: ["203.0.113.77"],
        hashes: [],
        urls: [],
        usernames: ["j.doe"],
        hostnames: ["ws-fin-042"],
        emails: [],
      },
      preserved_context: {
        network: { dst_domain: "cdn-update.badcdn.example", response_code: "NOERROR", protocol: "DNS" },
        asset: { hostname: "ws-fin-042", criticality: "high", crown_jewel_adjacent: true },
        identity: { username: "j.doe", privilege_level: "standard" },
        threat_intel: { verdict: "malicious", source_count: 42, source_total: 60, associated_malware: "Cobalt Strike" },
        history: { same_indicator_count: 1 },
        email_context: null,
        missing_fields: ["identity.recent_anomaly"],
      },
    },
    insufficient_context_package: null,
    nova_feed: {
      disposition_class: "true_positive",
      alert_type: "dns_malicious_lookup",
      suppression_candidate: false,
      confidence: 78,
      forced_escalation: true,
      context_completeness: "partial",
      missing_fields: ["identity.recent_anomaly"],
      duration_ms: 1840,
    },
  });
}

function insufficientOutput(caseId: string): ToraOutput {
  return ToraOutput.parse({
    ...escalatedOutput(caseId),
    verdict: "INSUFFICIENT_CONTEXT",
    severity: "medium",
    confidence: 45,
    confidence_label: "low",
    priority: "P3",
    forced_escalation: { triggered: false, rules: [] },
    escalation_package: null,
    insufficient_context_package: {
      blocking_reason: "The host is not in the CMDB and the user is unknown",
      blocking_fields: ["asset.criticality", "identity.privilege_level"],
      enrichment_needed: ["CMDB record for lab-17", "Identity record for tmp-user"],
      retry_possible: true,
      partial_assessment: "A single lookup of a low-reputation domain; nothing else known.",
    },
    nova_feed: { ...escalatedOutput(caseId).nova_feed, alert_type: "dns_tunneling", missing_fields: ["asset.criticality", "identity.privilege_level"] },
  });
}

function closedOutput(caseId: string): ToraOutput {
  return ToraOutput.parse({
    ...escalatedOutput(caseId),
    verdict: "CLOSED",
    severity: "low",
    confidence: 91,
    confidence_label: "high",
    priority: "P4",
    forced_escalation: { triggered: false, rules: [] },
    false_positive_assessment: {
      likely_false_positive: true,
      disposition: "false_positive",
      reasoning: "Matches suppression SUP-12 (30 days old): the backup agent's update check.",
      suppression_rule_id: "SUP-12",
    },
    escalation_package: null,
    insufficient_context_package: null,
    nova_feed: { ...escalatedOutput(caseId).nova_feed, alert_type: "dns_malicious_lookup", suppression_candidate: true, missing_fields: [] },
  });
}

async function insertCase(ex: Executor, id: string, title: string, createdAt = "2026-11-24T09:13:00.000Z") {
  await ex
    .insertInto("cases")
    .values({
      id,
      day: id.slice(5, 13),
      number: Number(id.slice(14)),
      title,
      status: "in_progress",
      verdict: null,
      verdict_rationale: null,
      crew_verdict: null,
      priority: "P2",
      severity: "high",
      confidence: null,
      assignee_kind: null,
      assignee_name: null,
      tags: toJson([]),
      attack: toJson({ tactics: ["command-and-control"], techniques: ["T1071.004", "T1568"] }),
      rule_id: "dns-c2",
      group_key: `g:${id}`,
      suppression_id: null,
      needs_human_verification: 0,
      created_at: createdAt,
      updated_at: createdAt,
      last_alert_at: createdAt,
      acknowledged_at: null,
      escalated_at: null,
      resolved_at: null,
      closed_at: null,
    })
    .execute();
}

async function insertDecision(
  ex: Executor,
  values: { id: string; case_id: string; agent: string; tier: number; verdict: string; output: unknown; created_at: string },
) {
  await ex
    .insertInto("decisions")
    .values({ ...values, schema_version: 1, output: toJson(values.output), analyst: "rules+llm", duration_ms: 1840 })
    .execute();
}

function readFrontmatter(markdown: string): Record<string, unknown> {
  const match = /^---\n([\s\S]*?)\n---\n/.exec(markdown);
  expect(match).not.toBeNull();
  return parseYaml(match![1]!) as Record<string, unknown>;
}

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".html"))
    .map((file) => path.join(dir, file));
}

describe(`journal (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("writes a TORA decision as a post with the contract's frontmatter", async () => {
    const db = env.store.db;
    await insertCase(db, CASE_ID, "Malicious DNS lookup from ws-fin-042");
    await insertDecision(db, {
      id: DECISION_ID,
      case_id: CASE_ID,
      agent: "TORA",
      tier: 1,
      verdict: "ESCALATED",
      output: escalatedOutput(),
      created_at: "2026-11-24T09:14:05.120Z",
    });

    const file = await writeDecisionPost(db, env.home, DECISION_ID);
    expect(file).toBe(path.join(env.home, "journal", "posts", CASE_ID, "1-tora-3f2a9c7e.md"));
    const markdown = readFileSync(file, "utf8");
    const frontmatter = readFrontmatter(markdown);
    expect(Object.keys(frontmatter)).toEqual([...POST_KEYS]);
    expect(frontmatter).toEqual({
      author: "TORA",
      tier: 1,
      case_ids: [CASE_ID],
      shift: "2026-11-24",
      pubDatetime: "2026-11-24T09:14:05.120Z",
      title: `${CASE_ID} — Malicious DNS lookup from ws-fin-042`,
      description:
        "TORA: ESCALATED (high severity, P2, confidence 78). ws-fin-042 resolved a domain that 42 of 60 intel sources tie to Cobalt Strike.",
      tags: ["T1071.004", "T1568", "dns_malicious_lookup", "escalated"],
      disposition: "ESCALATED",
      schema_version: 1,
      priority: "P2",
      severity: "high",
      confidence: 78,
    });

    // The post is the short summary; the full reasoning is the trace it links to.
    const summary = parsePost(markdown).body;
    expect(summary).toContain("**Verdict: ESCALATED**");
    expect(summary).toContain("**Hypothesis.** ws-fin-042 runs a Cobalt Strike beacon");
    expect(summary).toContain("**Next step.** VERA investigates at P2, starting with: (1) Process tree around 09:05–09:12 on ws-fin-042");
    expect(summary).toContain(`[Full reasoning trace](../../traces/${CASE_ID}/1-tora-3f2a9c7e.md)`);
    expect(summary).not.toContain("### 1. Severity");
    expect(summary.split(/\s+/).filter(Boolean).length).toBeLessThanOrEqual(350);
    const trace = readFileSync(path.join(env.home, "journal", "traces", CASE_ID, "1-tora-3f2a9c7e.md"), "utf8");
    expect(readFrontmatter(trace).title).toBe(`${CASE_ID} — Malicious DNS lookup from ws-fin-042 — reasoning trace`);
    expect(trace).not.toContain("W1nter2026");
    const body = parsePost(trace).body;
    expect(body).toContain(`[← The write-up](../../posts/${CASE_ID}/1-tora-3f2a9c7e.md)`);
    expect(body).toContain("At 09:12 UTC ws-fin-042 asked for cdn-update.badcdn.example");
    for (const step of ["### 1. Severity", "### 2. False-positive check", "### 3. Context sufficiency", "### 4. Decision"])
      expect(body).toContain(step);
    expect(body).toContain("- Asset criticality high: raised one step");
    expect(body).toContain("`crown_jewel_adjacent` — Asset is adjacent to a crown jewel");
    expect(body).toContain("Likely false positive: **no**");
    expect(body).toContain("## Handoff to VERA");
    expect(body).toContain("ws-fin-042 runs a Cobalt Strike beacon");
    expect(body).toContain("1. Process tree around 09:05–09:12 on ws-fin-042");
    expect(body).toContain("**Domains:** `cdn-update.badcdn.example`");
    expect(body).toContain("**IPs:** `203.0.113.77`");
    expect(body).not.toContain("## Where I got stuck");
    // Redacted before publishing: the password goes, the IP an analyst needs stays.
    expect(markdown).not.toContain("W1nter2026");
    expect(body).toContain("mysql -u audit -p[REDACTED] -h 10.20.30.40");
  });

  it("rewrites the same post for the same decision, also through the journal.post job", async () => {
    const db = env.store.db;
    await insertCase(db, CASE_ID, "Malicious DNS lookup from ws-fin-042");
    await insertDecision(db, { id: DECISION_ID, case_id: CASE_ID, agent: "TORA", tier: 1, verdict: "ESCALATED", output: escalatedOutput(), created_at: "2026-11-24T09:14:05.120Z" });
    const first = await writeDecisionPost(db, env.home, DECISION_ID);
    const content = readFileSync(first, "utf8");
    expect(await writeDecisionPost(db, env.home, DECISION_ID)).toBe(first);
    expect(readFileSync(first, "utf8")).toBe(content);

    rmSync(path.join(env.home, "journal"), { recursive: true });
    await enqueue(db, JOURNAL_POST_JOB, { decision_id: DECISION_ID });
    // @ts-expect-error -- a payload of the wrong shape is a type error; the worker refuses it all the same
    await enqueue(db, JOURNAL_POST_JOB, { decision: "wrong key" });
    const errors: unknown[] = [];
    const stats = await runUntilIdle(db, { handlers: journalHandlers({ home: env.home }), onError: (_job, error) => errors.push(error) });
    expect(stats).toEqual({ processed: 1, failed: 1 });
    expect(errors[0]).toBeInstanceOf(ValidationError);
    expect(readFileSync(first, "utf8")).toBe(content);
    expect(readdirSync(path.dirname(first))).toEqual([path.basename(first)]);

    await enqueue(db, JOURNAL_POST_JOB, { decision_id: DECISION_ID, shift: "night-2026-11-24" });
    expect(await runUntilIdle(db, { handlers: journalHandlers({ home: env.home }) })).toEqual({ processed: 1, failed: 0 });
    expect(readFrontmatter(readFileSync(first, "utf8")).shift).toBe("night-2026-11-24");
  });

  it("writes insufficient context and unknown agents' outputs", async () => {
    const db = env.store.db;
    await insertCase(db, "TORA-20261124-0008", "DNS tunneling from lab-17");
    await insertDecision(db, { id: "aaaa1111-0000-4000-8000-000000000001", case_id: "TORA-20261124-0008", agent: "TORA", tier: 1, verdict: "INSUFFICIENT_CONTEXT", output: insufficientOutput("TORA-20261124-0008"), created_at: "2026-11-24T10:00:00.000Z" });
    await insertDecision(db, {
      id: "bbbb2222-0000-4000-8000-000000000002",
      case_id: "TORA-20261124-0008",
      agent: "VERA",
      tier: 2,
      verdict: "HOLD",
      output: { agent: "VERA", narrative: "The process tree is missing; a human must verify.", root_cause_confidence: "UNDETERMINED", token: "password=hunter2" },
      created_at: "2026-11-24T11:00:00.000Z",
    });
    const insufficientPost = readFileSync(await writeDecisionPost(db, env.home, "aaaa1111-0000-4000-8000-000000000001"), "utf8");
    expect(insufficientPost).toContain("**Next step.** On hold for the SOC queue:");
    const insufficient = readFileSync(path.join(env.home, "journal", "traces", "TORA-20261124-0008", "1-tora-aaaa1111.md"), "utf8");
    expect(insufficient).toContain("## Where I got stuck");
    expect(insufficient).toContain("- `asset.criticality`");
    expect(insufficient).toContain("- `identity.privilege_level`");
    expect(insufficient).toContain("**Retry possible:** yes");
    expect(readFrontmatter(insufficient).disposition).toBe("INSUFFICIENT_CONTEXT");

    const veraFile = await writeDecisionPost(db, env.home, "bbbb2222-0000-4000-8000-000000000002");
    expect(path.basename(veraFile)).toBe("2-vera-bbbb2222.md");
    const vera = readFileSync(veraFile, "utf8");
    const frontmatter = readFrontmatter(vera);
    expect(frontmatter).toMatchObject({ author: "VERA", tier: 2, disposition: "HOLD", title: "VERA-20261124-0008 — DNS tunneling from lab-17", priority: "P2", severity: "high", confidence: null });
    expect(vera).toContain("The process tree is missing; a human must verify.");
    expect(vera).not.toContain('"root_cause_confidence"');
    expect(vera).not.toContain("hunter2");
    const veraTrace = readFileSync(path.join(env.home, "journal", "traces", "TORA-20261124-0008", "2-vera-bbbb2222.md"), "utf8");
    expect(veraTrace).toContain('"root_cause_confidence": "UNDETERMINED"');
    expect(veraTrace).not.toContain("hunter2");
  });

  it("refuses a decision that is missing or malformed", async () => {
    await expect(writeDecisionPost(env.store.db, env.home, "nope")).rejects.toThrow(/not found/);
    await insertCase(env.store.db, CASE_ID, "x");
    await insertDecision(env.store.db, { id: "cccc", case_id: CASE_ID, agent: "MALLORY", tier: 9, verdict: "X", output: {}, created_at: "2026-11-24T09:00:00.000Z" });
    await expect(writeDecisionPost(env.store.db, env.home, "cccc")).rejects.toBeInstanceOf(ValidationError);
    expect(existsSync(path.join(env.home, "journal"))).toBe(false);
  });

  describe("site", () => {
    const XSS_CASE = "TORA-20261124-0009";
    const XSS_TITLE = "<script>alert(1)</script> on ws-07";

    async function seed() {
      const db = env.store.db;
      await insertCase(db, CASE_ID, "Malicious DNS lookup from ws-fin-042");
      await insertCase(db, XSS_CASE, XSS_TITLE);
      await insertDecision(db, { id: DECISION_ID, case_id: CASE_ID, agent: "TORA", tier: 1, verdict: "ESCALATED", output: escalatedOutput(), created_at: "2026-11-24T09:14:05.120Z" });
      await insertDecision(db, {
        id: "dddd4444-0000-4000-8000-000000000004",
        case_id: CASE_ID,
        agent: "VERA",
        tier: 2,
        verdict: "ESCALATE_TO_ARIA",
        output: { agent: "VERA", narrative: "Beacon confirmed every 60 s with 10% jitter. Isolate ws-fin-042." },
        created_at: "2026-11-24T10:30:00.000Z",
      });
      const hostile = escalatedOutput(XSS_CASE);
      hostile.narrative = [
        "The alert carried markup:",
        "",
        '<div onmouseover="alert(2)">hover me</div>',
        "",
        "Inline <img src=x onerror=alert(3)> and a [harmless-looking link](javascript:alert(4)) and [a C2](http://evil.example/gate.php).",
      ].join("\n");
      await insertDecision(db, { id: "eeee5555-0000-4000-8000-000000000005", case_id: XSS_CASE, agent: "TORA", tier: 1, verdict: "ESCALATED", output: ToraOutput.parse(hostile), created_at: "2026-11-24T09:20:00.000Z" });
      for (const id of [DECISION_ID, "dddd4444-0000-4000-8000-000000000004", "eeee5555-0000-4000-8000-000000000005"])
        await writeDecisionPost(db, env.home, id);
    }

    it("links index, agents, cases and posts with relative links that resolve", async () => {
      await seed();
      const built = await buildJournalSite(env.home);
      const site = path.join(env.home, "journal", "site");
      // 8 pages, and each post's reasoning trace (3) as a page of its own.
      expect(built).toEqual({ dir: site, pages: 11, posts: 3 });
      for (const page of [
        "index.html",
        "style.css",
        "agents/tora.html",
        "agents/vera.html",
        `cases/${CASE_ID}.html`,
        `cases/${XSS_CASE}.html`,
        `posts/${CASE_ID}/1-tora-3f2a9c7e.html`,
        `posts/${CASE_ID}/2-vera-dddd4444.html`,
        `posts/${XSS_CASE}/1-tora-eeee5555.html`,
        `traces/${CASE_ID}/1-tora-3f2a9c7e.html`,
        `traces/${XSS_CASE}/1-tora-eeee5555.html`,
      ])
        expect(existsSync(path.join(site, page)), page).toBe(true);

      let checked = 0;
      for (const file of htmlFiles(site)) {
        const html = readFileSync(file, "utf8");
        for (const [, href] of html.matchAll(/href="([^"]*)"/g)) {
          expect(href, `${file}: ${href}`).not.toMatch(/^([a-z]+:|\/)/i);
          const target = path.resolve(path.dirname(file), decodeURIComponent(href!.split("#")[0]!));
          expect(existsSync(target) && statSync(target).isFile(), `${path.relative(site, file)} → ${href}`).toBe(true);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(30);

      // Newest first on the index; tier order on the case page.
      const index = readFileSync(path.join(site, "index.html"), "utf8");
      expect(index.indexOf("2-vera-dddd4444.html")).toBeLessThan(index.indexOf("1-tora-3f2a9c7e.html"));
      const casePage = readFileSync(path.join(site, "cases", `${CASE_ID}.html`), "utf8");
      expect(casePage.indexOf("Tier 1")).toBeGreaterThan(-1);
      expect(casePage.indexOf("Tier 1")).toBeLessThan(casePage.indexOf("Tier 2"));
      expect(casePage).toContain("Beacon confirmed every 60 s");
      expect(casePage).toContain("ws-fin-042 runs a Cobalt Strike beacon");
      const agentPage = readFileSync(path.join(site, "agents", "tora.html"), "utf8");
      expect(agentPage).toContain(CASE_ID);
      expect(agentPage).toContain(XSS_CASE);
      expect(agentPage).not.toContain("2-vera-dddd4444.html");
    });

    it("escapes attacker-controlled titles and raw HTML on every page", async () => {
      await seed();
      await buildJournalSite(env.home);
      const site = path.join(env.home, "journal", "site");
      const pages = htmlFiles(site);
      expect(pages.length).toBe(11);
      for (const file of pages) {
        const html = readFileSync(file, "utf8");
        expect(html, file).not.toMatch(/<script/i);
        expect(html, file).not.toMatch(/<img/i);
        expect(html, file).not.toMatch(/<div onmouseover/i);
        expect(html, file).not.toMatch(/href="(javascript|http)/i);
      }
      const escapedTitle = "&lt;script&gt;alert(1)&lt;/script&gt; on ws-07";
      for (const page of ["index.html", "agents/tora.html", `cases/${XSS_CASE}.html`, `posts/${XSS_CASE}/1-tora-eeee5555.html`])
        expect(readFileSync(path.join(site, page), "utf8"), page).toContain(escapedTitle);
      for (const page of [`traces/${XSS_CASE}/1-tora-eeee5555.html`]) {
        const html = readFileSync(path.join(site, page), "utf8");
        expect(html, page).toContain("&lt;div onmouseover=&quot;alert(2)&quot;&gt;hover me&lt;/div&gt;");
        expect(html, page).toContain("&lt;img src=x onerror=alert(3)&gt;");
        expect(html, page).toContain('<code class="ioc">http://evil.example/gate.php</code>');
      }
    });

    it("drops stale pages on rebuild and keeps the old site when a post is broken", async () => {
      await seed();
      await buildJournalSite(env.home);
      const site = path.join(env.home, "journal", "site");
      writeFileSync(path.join(site, "stray.html"), "old");
      rmSync(path.join(env.home, "journal", "posts", XSS_CASE), { recursive: true });
      const rebuilt = await buildJournalSite(env.home);
      expect(rebuilt.posts).toBe(2);
      expect(existsSync(path.join(site, "stray.html"))).toBe(false);
      expect(existsSync(path.join(site, "cases", `${XSS_CASE}.html`))).toBe(false);
      expect(existsSync(path.join(site, "posts", XSS_CASE))).toBe(false);
      // A trace whose post is gone is not published either.
      expect(existsSync(path.join(site, "traces", XSS_CASE))).toBe(false);
      expect(readFileSync(path.join(site, "index.html"), "utf8")).not.toContain(XSS_CASE);

      writeFileSync(path.join(env.home, "journal", "posts", CASE_ID, "9-bad.md"), "---\nauthor: TORA\ntier: one\n---\nbody\n");
      await expect(buildJournalSite(env.home)).rejects.toBeInstanceOf(ValidationError);
      expect(existsSync(path.join(site, "index.html"))).toBe(true);
      expect(readdirSync(path.join(env.home, "journal")).sort()).toEqual(["posts", "site", "traces"]);
    });
  });

  it("writes TORA's shift review from the decisions of the window", async () => {
    const db = env.store.db;
    const ids = ["TORA-20261124-0001", "TORA-20261124-0002", "TORA-20261124-0003", "TORA-20261123-0099"];
    for (const id of ids) await insertCase(db, id, `case ${id}`);
    await insertDecision(db, { id: "s1", case_id: ids[0]!, agent: "TORA", tier: 1, verdict: "ESCALATED", output: escalatedOutput(ids[0]), created_at: "2026-11-24T08:00:00.000Z" });
    await insertDecision(db, { id: "s2", case_id: ids[1]!, agent: "TORA", tier: 1, verdict: "INSUFFICIENT_CONTEXT", output: insufficientOutput(ids[1]!), created_at: "2026-11-24T09:00:00.000Z" });
    await insertDecision(db, { id: "s3", case_id: ids[2]!, agent: "TORA", tier: 1, verdict: "CLOSED", output: closedOutput(ids[2]!), created_at: "2026-11-24T10:00:00.000Z" });
    await insertDecision(db, { id: "s4", case_id: ids[3]!, agent: "TORA", tier: 1, verdict: "CLOSED", output: closedOutput(ids[3]!), created_at: "2026-11-23T23:59:59.999Z" });
    await insertDecision(db, { id: "s5", case_id: ids[0]!, agent: "VERA", tier: 2, verdict: "HOLD", output: {}, created_at: "2026-11-24T11:00:00.000Z" });

    const clock = fixedClock("2026-11-25T00:05:00.000Z");
    const file = await writeShiftReview(db, env.home, { shift: "2026-11-24", from: "2026-11-24T00:00:00Z", to: "2026-11-25T00:00:00Z", clock });
    expect(file).toBe(path.join(env.home, "journal", "posts", "shifts", "2026-11-24", "1-tora-shift-review.md"));
    const markdown = readFileSync(file, "utf8");
    const frontmatter = readFrontmatter(markdown);
    expect(Object.keys(frontmatter)).toEqual([...POST_KEYS]);
    expect(frontmatter).toMatchObject({
      author: "TORA",
      tier: 1,
      case_ids: ids.slice(0, 3),
      shift: "2026-11-24",
      pubDatetime: "2026-11-25T00:05:00.000Z",
      disposition: "SHIFT_REVIEW",
      description: "3 cases triaged: 1 closed, 1 escalated, 1 insufficient context.",
    });
    expect(markdown).not.toContain(ids[3]);
    expect(markdown).toContain("I triaged 3 cases");
    expect(markdown).toMatch(/\| `asset\.criticality` \| 1 \| 1 \|/);
    expect(markdown).toMatch(/## For VERA and ARIA[\s\S]*`TORA-20261124-0001` P2/);
    expect(markdown).toMatch(/\| `dns_malicious_lookup` \| 2 \| 1 \| 1 \| 0 \| 1 \|/);
    expect(markdown).toContain("Suppression candidates for a human to review: `dns_malicious_lookup`");

    await expect(
      writeShiftReview(db, env.home, { shift: "../x", from: "2026-11-25T00:00:00Z", to: "2026-11-24T00:00:00Z", clock }),
    ).rejects.toBeInstanceOf(ValidationError);

    // The review is a post like any other: it shows up on the site and on each case it mentions.
    await writeDecisionPost(db, env.home, "s1");
    await buildJournalSite(env.home);
    const casePage = readFileSync(path.join(env.home, "journal", "site", "cases", `${ids[0]}.html`), "utf8");
    expect(casePage).toContain("Also mentioned in");
    expect(casePage).toContain("TORA shift review — 2026-11-24");
    expect(existsSync(path.join(env.home, "journal", "site", "posts", "shifts", "2026-11-24", "1-tora-shift-review.html"))).toBe(true);
  });
});
