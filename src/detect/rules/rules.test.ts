import { readFile, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createDetector, normaliseEvent, type Detector } from "../engine.js";
import { BUILTIN_RULES_DIR } from "./index.js";

const FixtureEvent = z.record(z.string(), z.unknown());

/**
 * `fixtures.json` in each folder of rules, per rule file: events the rule must fire on (`match`) and near misses it
 * must not fire on (`no_match`); for correlation files, `sequences` of events run through a fresh detector with
 * the alert titles that must (`fires`) and must not (`silent`) come out.
 */
const Fixtures = z.strictObject({
  description: z.string().optional(),
  base: FixtureEvent.default({}),
  rules: z.record(
    z.string(),
    z.strictObject({
      match: z.array(FixtureEvent).min(1).optional(),
      no_match: z.array(FixtureEvent).min(1).optional(),
      sequences: z
        .array(z.strictObject({ events: z.array(FixtureEvent).min(1), fires: z.array(z.string()), silent: z.array(z.string()) }))
        .min(2)
        .optional(),
    }),
  ),
});

type RuleDocument = Record<string, unknown>;

async function ruleDocuments(file: string): Promise<RuleDocument[]> {
  return parseAllDocuments(await readFile(join(BUILTIN_RULES_DIR, file), "utf8")).map((doc) => doc.toJS() as RuleDocument);
}

/** Correlations of a file that alert: those no other correlation of the file chains on. */
function alertingCorrelations(documents: RuleDocument[]): string[] {
  const chained = new Set(
    documents.flatMap((doc) => ((doc["correlation"] as { rules?: string[] } | undefined)?.rules ?? []).map(String)),
  );
  return documents
    .filter((doc) => doc["correlation"] !== undefined && !chained.has(String(doc["name"])) && !chained.has(String(doc["id"])))
    .map((doc) => String(doc["title"]));
}

async function filesUnder(dir: string, pattern: RegExp): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && pattern.test(e.name))
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

interface Case {
  rule: string;
  expected: boolean;
  event: Record<string, unknown>;
}

interface Sequence {
  rule: string;
  events: Record<string, unknown>[];
  fires: string[];
  silent: string[];
}

async function fixtureCases(): Promise<{ cases: Case[]; sequences: Sequence[] }> {
  const cases: Case[] = [];
  const sequences: Sequence[] = [];
  for (const file of await filesUnder(BUILTIN_RULES_DIR, /^fixtures\.json$/)) {
    const fixtures = Fixtures.parse(JSON.parse(await readFile(join(BUILTIN_RULES_DIR, file), "utf8")));
    const folder = file.slice(0, -"fixtures.json".length);
    for (const [name, fixture] of Object.entries(fixtures.rules)) {
      const rule = folder + name;
      for (const event of fixture.match ?? []) cases.push({ rule, expected: true, event: { ...fixtures.base, ...event } });
      for (const event of fixture.no_match ?? []) cases.push({ rule, expected: false, event: { ...fixtures.base, ...event } });
      for (const sequence of fixture.sequences ?? []) {
        sequences.push({ rule, ...sequence, events: sequence.events.map((event) => ({ ...fixtures.base, ...event })) });
      }
    }
  }
  return { cases, sequences };
}

describe("built-in rule pack", () => {
  let detector: Detector;
  let ruleFiles: string[];
  let documents: Map<string, RuleDocument[]>;
  let cases: Case[];
  let sequences: Sequence[];

  beforeAll(async () => {
    detector = await createDetector({ ruleDirs: [BUILTIN_RULES_DIR] });
    ruleFiles = await filesUnder(BUILTIN_RULES_DIR, /\.ya?ml$/);
    documents = new Map();
    for (const file of ruleFiles) documents.set(file, await ruleDocuments(file));
    ({ cases, sequences } = await fixtureCases());
  });

  it("loads every rule and correlation, none skipped", () => {
    expect(detector.rulesSkipped).toEqual([]);
    expect(ruleFiles.length).toBeGreaterThanOrEqual(40);
    expect(detector.rulesLoaded).toBe([...documents.values()].reduce((sum, docs) => sum + docs.length, 0));
  });

  it("gives every rule a positive and a negative fixture, and no fixture names a missing rule", () => {
    const problems: string[] = [];
    for (const file of ruleFiles) {
      const correlations = alertingCorrelations(documents.get(file) ?? []);
      if (correlations.length === 0) {
        if (!cases.some((c) => c.rule === file && c.expected)) problems.push(`${file}: no positive event`);
        if (!cases.some((c) => c.rule === file && !c.expected)) problems.push(`${file}: no negative event`);
        continue;
      }
      for (const title of correlations) {
        if (!sequences.some((s) => s.rule === file && s.fires.includes(title))) problems.push(`${file}: no sequence fires "${title}"`);
        if (!sequences.some((s) => s.rule === file && s.silent.includes(title))) problems.push(`${file}: no sequence keeps "${title}" silent`);
      }
    }
    const named = new Set([...cases, ...sequences].map((c) => c.rule));
    for (const rule of named) if (!ruleFiles.includes(rule)) problems.push(`fixtures name ${rule}, which does not exist`);
    expect(problems).toEqual([]);
  });

  it("alerts on each correlation's positive sequence and stays silent on its negative one", async () => {
    const wrong: string[] = [];
    for (const { rule, events, fires, silent } of sequences) {
      const fresh = await createDetector({ ruleDirs: [BUILTIN_RULES_DIR] });
      const titles = new Set<string>();
      events.forEach((event, index) => {
        for (const alert of fresh.process(normaliseEvent(event), { file: rule, record: index + 1 })) titles.add(alert.rule.title);
      });
      for (const alert of fresh.flush()) titles.add(alert.rule.title);
      for (const title of fires) if (!titles.has(title)) wrong.push(`${rule}: "${title}" did not fire`);
      for (const title of silent) if (titles.has(title)) wrong.push(`${rule}: "${title}" fired`);
    }
    expect(wrong).toEqual([]);
  });

  it("fires each rule on its positive fixtures and not on its negative ones", () => {
    const wrong: string[] = [];
    for (const { rule, expected, event } of cases) {
      const fired = detector.match(normaliseEvent(event)).some((hit) => hit.file === rule);
      if (fired !== expected) wrong.push(`${rule}: ${expected ? "did not fire on" : "fired on"} ${JSON.stringify(event)}`);
    }
    expect(wrong).toEqual([]);
  });

  it("has the metadata the product relies on: our author, a unique uuid, ATT&CK tags, level, falsepositives", () => {
    const ids = new Set<string>();
    const problems: string[] = [];
    for (const [file, docs] of documents) {
      for (const rule of docs) {
        const where = `${file} (${String(rule["title"])})`;
        const id = String(rule["id"]);
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)) problems.push(`${where}: id ${id} is not a uuid v4`);
        if (ids.has(id)) problems.push(`${where}: duplicate id ${id}`);
        ids.add(id);
        if (rule["author"] !== "Nightshift") problems.push(`${where}: author`);
        const tags = (rule["tags"] as string[] | undefined) ?? [];
        if (!tags.some((t) => /^attack\.t\d{4}/.test(t))) problems.push(`${where}: no ATT&CK technique tag`);
        if (!tags.some((t) => /^attack\.[a-z-]+$/.test(t) && !/^attack\.t\d/.test(t))) problems.push(`${where}: no ATT&CK tactic tag`);
        if (!["informational", "low", "medium", "high", "critical"].includes(String(rule["level"]))) problems.push(`${where}: level`);
        if (!Array.isArray(rule["falsepositives"]) || rule["falsepositives"].length === 0) problems.push(`${where}: falsepositives`);
        if (!rule["status"] || !rule["description"]) problems.push(`${where}: status/description`);
      }
    }
    expect(problems).toEqual([]);
  });
});
