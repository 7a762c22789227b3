import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDemoAlerts, loadGroundTruth } from "../src/demo/index.js";
import { cliEnvironment } from "./support/environment.js";
import { lastLine, runCli, type CliResult } from "./support/cli.js";
import { testStoreKind } from "./support/store.js";

interface Summary {
  alerts: number;
  cases: number;
  by_verdict: Record<string, number>;
  by_status: Record<string, number>;
  by_vera_verdict: Record<string, number>;
}

interface AlertLine {
  id: string;
  source_id: string;
  source: { name: string; file: string | null; record: number | null };
  case_id: string | null;
  case_status: string | null;
  case_verdict: string | null;
  outcome: string;
}

interface Enrichment {
  alerts: number;
  enriched: number;
  with_gaps: number;
  completeness: { complete: number; partial: number; insufficient: number };
  top_missing: { path: string; count: number }[];
  examples: { source_id: string; title: string; completeness: string; missing_fields: string[] }[];
}

interface CaseLine {
  id: string;
  status: string;
  crew_verdict: string | null;
  tags: string[];
  outcome: string;
}

/**
 * The ground truth scores triage: a case TORA escalated is "escalated" whatever VERA then did with it
 * (closed it after investigation, handed it to ARIA, or held it for a human).
 */
function triageOutcome(line: AlertLine, cases: CaseLine[]): string {
  const c = cases.find((x) => x.id === line.case_id);
  return c?.tags.includes("tora:escalated") ? "escalated" : line.outcome;
}

function parseLines<T>(text: string): T[] {
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

describe(`nightshift demo --once (${testStoreKind()})`, () => {
  let environment: Awaited<ReturnType<typeof cliEnvironment>>;
  let first: CliResult;
  let second: CliResult;
  let firstExport: AlertLine[];
  let cases: CaseLine[];

  beforeAll(async () => {
    environment = await cliEnvironment();
    first = await runCli(["demo", "--once"], environment.env);
    firstExport = parseLines<AlertLine>((await runCli(["alerts", "export"], environment.env)).stdout);
    cases = parseLines<CaseLine>((await runCli(["cases", "export"], environment.env)).stdout);
    // A second process on the same home: data survives the restart and nothing is created twice.
    second = await runCli(["demo", "--once"], environment.env);
  }, 300_000);

  afterAll(async () => {
    await environment.cleanup();
  });

  it("works the shift and prints the summary as its last line", () => {
    expect(first.code, first.stderr).toBe(0);
    const summary = JSON.parse(lastLine(first.stdout)) as Summary;
    const demoAlerts = loadDemoAlerts();
    expect(summary.alerts).toBe(demoAlerts.length);
    expect(summary.cases).toBeGreaterThan(0);
    expect(summary.cases).toBeLessThanOrEqual(demoAlerts.length);
    // by_verdict is TORA's verdict per case (the README's contract); VERA's verdicts are counted beside it.
    expect(Object.keys(summary.by_verdict).sort()).toEqual(["CLOSED", "ESCALATED", "INSUFFICIENT_CONTEXT"]);
    expect(Object.values(summary.by_verdict).reduce((a, b) => a + b, 0)).toBe(summary.cases);
    expect(Object.keys(summary.by_vera_verdict).every((v) => ["CLOSED", "ESCALATE_TO_ARIA", "HOLD"].includes(v))).toBe(true);
    expect(Object.values(summary.by_vera_verdict).reduce((a, b) => a + b, 0)).toBe(summary.by_verdict.ESCALATED);
    expect(Object.values(summary.by_status).reduce((a, b) => a + b, 0)).toBe(summary.cases);
  });

  it("puts every demo alert into exactly one triaged case, with its file and record", () => {
    const demoAlerts = loadDemoAlerts();
    expect(firstExport).toHaveLength(demoAlerts.length);
    expect(new Set(firstExport.map((a) => a.id)).size).toBe(demoAlerts.length);
    for (const line of firstExport) {
      expect(line.case_id, line.source_id).toMatch(/^TORA-\d{8}-\d{4}$/);
      expect(line.outcome, line.source_id).not.toBe("open");
      expect(line.source.file).toMatch(/shift\.ndjson$/);
      expect(line.source.record).toBeGreaterThan(0);
    }
  });

  it("matches the ground truth kept beside the demo", () => {
    const truth = loadGroundTruth();
    const mismatches = firstExport
      .filter((line) => truth[line.source_id]!.expected_outcome !== triageOutcome(line, cases))
      .map((line) => `${line.source_id}: expected ${truth[line.source_id]!.expected_outcome}, got ${triageOutcome(line, cases)}`);
    // Forced escalations are code, not judgement: none may be missed.
    const missedEscalations = firstExport.filter(
      (line) => truth[line.source_id]!.expected_outcome === "escalated" && triageOutcome(line, cases) !== "escalated",
    );
    expect(missedEscalations.map((l) => l.source_id)).toEqual([]);
    expect(mismatches.length / firstExport.length, mismatches.join("\n")).toBeLessThanOrEqual(0.1);
  });

  it("creates nothing twice when run again", async () => {
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(lastLine(second.stdout))).toEqual(JSON.parse(lastLine(first.stdout)));
    const again = parseLines<AlertLine>((await runCli(["alerts", "export"], environment.env)).stdout);
    expect(again.map((a) => [a.id, a.case_id, a.outcome])).toEqual(firstExport.map((a) => [a.id, a.case_id, a.outcome]));
  });

  it("writes a journal post per decision, per tier, and builds the site", () => {
    const journal = path.join(environment.env.NIGHTSHIFT_HOME!, "journal");
    const caseIds = new Set(firstExport.map((a) => a.case_id));
    let veraPosts = 0;
    for (const caseId of caseIds) {
      expect(existsSync(path.join(journal, "site", "cases", `${caseId}.html`)), caseId!).toBe(true);
      const escalated = cases.find((c) => c.id === caseId)!.tags.includes("tora:escalated");
      const posts = readdirSync(path.join(journal, "posts", caseId!)).map((name) => readFileSync(path.join(journal, "posts", caseId!, name), "utf8"));
      const authors = posts.map((post) => /^---\n[\s\S]*?author: (\w+)[\s\S]*?\n---\n/.exec(post)?.[1]).sort();
      expect(authors, caseId!).toEqual(escalated ? ["TORA", "VERA"] : ["TORA"]);
      if (escalated) veraPosts++;
    }
    expect(veraPosts).toBeGreaterThan(0);
    expect(existsSync(path.join(journal, "site", "index.html"))).toBe(true);
  });

  it("shows the enrichment: completeness, the top missing fields and example alerts with their missing fields", () => {
    const summary = JSON.parse(lastLine(first.stdout)) as Summary & { enrichment: Enrichment };
    const e = summary.enrichment;
    expect(e.alerts).toBe(loadDemoAlerts().length);
    expect(e.enriched).toBe(e.alerts);
    expect(e.completeness.complete + e.completeness.partial + e.completeness.insufficient).toBe(e.enriched);
    expect(e.with_gaps).toBeGreaterThan(0);
    expect(e.top_missing.length).toBeGreaterThan(0);
    expect(e.examples).toHaveLength(3);
    const exported = new Set(firstExport.map((a) => a.source_id));
    for (const example of e.examples) {
      expect(exported.has(example.source_id), example.source_id).toBe(true);
      expect(example.missing_fields.length, example.source_id).toBeGreaterThan(0);
      // Printed on stderr before the summary, with the exact paths.
      expect(first.stderr).toContain(`e.g. ${example.source_id} "${example.title}" [${example.completeness}]: missing ${example.missing_fields.join(", ")}`);
    }
    const counts = e.top_missing.map((m) => m.count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(first.stderr).toMatch(new RegExp(`enrichment: ${e.enriched} of ${e.alerts} alerts enriched — ${e.completeness.complete} complete`));
    expect(first.stderr).toContain(`most missing: ${e.top_missing[0]!.path} (${e.top_missing[0]!.count})`);
  });

  it("counts missing context per source from the CLI, as JSON and as a table", async () => {
    const json = await runCli(["context", "gaps", "--json", "--since", "2026-11-23T22:00:00Z", "--until", "2026-11-24T06:00:00Z"], environment.env);
    expect(json.code, json.stderr).toBe(0);
    const gaps = JSON.parse(lastLine(json.stdout)) as { total: { alerts: number; with_gaps: number }; sources: Record<string, { alerts: number }> };
    expect(gaps.total.alerts).toBe(loadDemoAlerts().length);
    expect(Object.values(gaps.sources).reduce((n, s) => n + s.alerts, 0)).toBe(gaps.total.alerts);
    const summary = JSON.parse(lastLine(first.stdout)) as Summary & { enrichment: Enrichment };
    expect(gaps.total.with_gaps).toBe(summary.enrichment.with_gaps);

    const source = Object.keys(gaps.sources)[0]!;
    const table = await runCli(["context", "gaps", "--source", source], environment.env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^${source}\\s+${gaps.sources[source]!.alerts}\\s`, "m"));
    expect(table.stdout).toMatch(/^TOTAL\s/m);
    const bad = await runCli(["context", "gaps", "--since", "last tuesday"], environment.env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("since");
  });

  it("keeps an audit trail that verifies", async () => {
    const result = await runCli(["audit", "verify"], environment.env);
    expect(result.code, result.stderr).toBe(0);
    const verdict = JSON.parse(lastLine(result.stdout)) as { ok: boolean; checked: number };
    expect(verdict.ok).toBe(true);
    expect(verdict.checked).toBeGreaterThan(firstExport.length);
  });
});
