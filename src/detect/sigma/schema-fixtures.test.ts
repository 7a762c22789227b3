import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { sharedPath } from "../../../test/support/shared.js";
import { loadSigmaText } from "./index.js";

// ajv-formats is CommonJS: under NodeNext its default export arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

const SPEC = sharedPath("data/sigma-specification");
const KINDS = {
  rules: "sigma-detection-rule-schema.json",
  filter: "sigma-filters-schema.json",
  correlation: "sigma-correlation-rules-schema.json",
} as const;
type Kind = keyof typeof KINDS;

type Validate = ((data: unknown) => boolean) & { errors?: unknown };
const validators = {} as Record<Kind, Validate>;

beforeAll(async () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const [kind, file] of Object.entries(KINDS) as [Kind, string][]) {
    const schema = JSON.parse(await readFile(join(SPEC, "json-schema", file), "utf8")) as Record<string, unknown>;
    // Two of the schemas spell the draft URI with a trailing '#', which ajv does not know; the draft is 2020-12 either way.
    delete schema["$schema"];
    validators[kind] = ajv.compile(schema) as Validate;
  }
});

async function fixtures(kind: Kind): Promise<{ name: string; text: string }[]> {
  const dir = join(SPEC, "tests", "schema", kind);
  const names = (await readdir(dir)).filter((name) => name.endsWith(".yml")).sort();
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), "utf8") })));
}

/** What our loader made of a text: how many documents of each kind, and why any was skipped. */
function ourCounts(text: string) {
  const loaded = loadSigmaText(text, "fixture.yml");
  return { rules: loaded.rules.length, filter: loaded.filters.length, correlation: loaded.correlations.length, skipped: loaded.skipped };
}

describe("the specification's schema fixtures", () => {
  for (const kind of Object.keys(KINDS) as Kind[]) {
    it(`${kind}: every fixture loads with our parser and validates against the spec's JSON schema`, async () => {
      const files = await fixtures(kind);
      expect(files.length).toBeGreaterThan(0);
      for (const { name, text } of files) {
        const valid = validators[kind](parse(text));
        expect({ name, valid, errors: validators[kind].errors ?? null }).toEqual({ name, valid: true, errors: null });
        const counts = ourCounts(text);
        expect({ name, skipped: counts.skipped, count: counts[kind] }).toEqual({ name, skipped: [], count: 1 });
      }
    });
  }

  it("our correlation parser reads the fixtures' fields", async () => {
    const byName = new Map((await fixtures("correlation")).map(({ name, text }) => [name, loadSigmaText(text).correlations[0]!]));
    expect(byName.get("value_count.yml")).toMatchObject({ type: "value_count", groupBy: ["ComputerName", "WorkstationName"], timespanMs: 86_400_000, condition: { gte: 100 }, fields: ["User"] });
    expect(byName.get("temporal_ordered.yml")).toMatchObject({ rules: ["recon_cmd_a", "recon_cmd_b", "recon_cmd_c"], condition: { gte: 3 }, timespanMs: 300_000 });
    expect(byName.get("value_percentile.yml")).toMatchObject({ fields: ["Image"], condition: { lte: 1 } });
    expect(byName.get("event_count.yml")?.generate).toBe(false);
  });
});

/** Breaks a fixture; `both` when the spec's schema and our parser must each reject the result. */
const BROKEN: { kind: Kind; fixture: string; what: string; edit: (doc: Record<string, unknown>) => void }[] = [
  { kind: "correlation", fixture: "event_count.yml", what: "no timespan", edit: (d) => delete section(d)["timespan"] },
  { kind: "correlation", fixture: "event_count.yml", what: "unknown type", edit: (d) => (section(d)["type"] = "event_sum") },
  { kind: "correlation", fixture: "event_count.yml", what: "no condition for event_count", edit: (d) => delete section(d)["condition"] },
  { kind: "correlation", fixture: "value_count.yml", what: "no group-by for value_count", edit: (d) => delete section(d)["group-by"] },
  { kind: "correlation", fixture: "temporal.yml", what: "no rules", edit: (d) => delete section(d)["rules"] },
  { kind: "correlation", fixture: "temporal.yml", what: "no title", edit: (d) => delete d["title"] },
  { kind: "correlation", fixture: "value_sum.yml", what: "rules not a list", edit: (d) => (section(d)["rules"] = { a: 1 }) },
  { kind: "filter", fixture: "filter_1.yml", what: "no logsource", edit: (d) => delete d["logsource"] },
  { kind: "filter", fixture: "filter_1.yml", what: "no filter condition", edit: (d) => delete (d["filter"] as Record<string, unknown>)["condition"] },
  { kind: "filter", fixture: "filter_1.yml", what: "empty rule list", edit: (d) => ((d["filter"] as Record<string, unknown>)["rules"] = []) },
  { kind: "rules", fixture: "rule_1.yml", what: "no detection", edit: (d) => delete d["detection"] },
  { kind: "rules", fixture: "rule_1.yml", what: "no title", edit: (d) => delete d["title"] },
];

function section(doc: Record<string, unknown>): Record<string, unknown> {
  return doc["correlation"] as Record<string, unknown>;
}

describe("deliberately broken fixtures", () => {
  for (const { kind, fixture, what, edit } of BROKEN) {
    it(`${kind}/${fixture} with ${what}: rejected by the spec's schema and by our parser`, async () => {
      const text = (await fixtures(kind)).find((f) => f.name === fixture)!.text;
      const document = parse(text) as Record<string, unknown>;
      // The unbroken document passes both, so a rejection below is the edit's doing.
      expect(validators[kind](document)).toBe(true);
      edit(document);
      expect(validators[kind](document)).toBe(false);
      const ours = loadSigmaText(JSON.stringify(document), `${fixture}`);
      expect(ours.rules.length + ours.filters.length + ours.correlations.length).toBe(0);
      expect(ours.skipped).toHaveLength(1);
      expect(ours.skipped[0]!.reason).not.toBe("");
    });
  }

  it("our parser also rejects what the schema lets through but cannot run", () => {
    const base = "title: t\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [User]\n";
    const reasons = [
      `${base}  timespan: 10 minutes\n  condition: {gte: 2}\n`,
      `${base}  timespan: 10m\n  condition: {ge: 2}\n`,
      `${base}  timespan: 10m\n  condition: {field: User}\n`,
      "title: t\ncorrelation: {type: value_sum, rules: [a], group-by: [U], timespan: 1h, condition: {field: [A, B], gt: 1}}\n",
      "title: t\ncorrelation: {type: temporal, rules: [a, b], group-by: [U], timespan: 1h, aliases: {ip: {c: src}}}\n",
    ].map((text) => loadSigmaText(text).skipped[0]?.reason ?? "loaded");
    expect(reasons[0]).toMatch(/timespan/);
    expect(reasons[1]).toMatch(/condition/);
    expect(reasons[2]).toMatch(/at least one of gt/);
    expect(reasons[3]).toMatch(/one field/);
    expect(reasons[4]).toMatch(/aliases\.ip\.c/);
  });
});
