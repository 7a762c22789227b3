import { readFile, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { readJsonDocuments, sharedPath } from "../../../test/support/shared.js";
import { parse } from "yaml";
import { normaliseEvent } from "../engine.js";
import { loadRuleDirectory, type CompiledRule, type SigmaEvent } from "./index.js";

const SIGMA = sharedPath("data/sigma");
const RULE_DIRS = ["rules", "rules-emerging-threats", "rules-threat-hunting", "rules-placeholder"];

/**
 * The product's flattening of `{Event: {System, EventData}}` documents, plus a stand-in for the logsource
 * field mapping: the spec names fields as shown in the details view with spaces stripped (`Source Name` →
 * `SourceName`).
 */
function flattenWindowsEvent(document: unknown): SigmaEvent {
  const flat = normaliseEvent(document as Record<string, unknown>);
  for (const [key, value] of Object.entries(flat)) if (key.includes(" ")) flat[key.replaceAll(" ", "")] = value;
  return flat;
}

async function findFiles(dir: string, pattern: RegExp): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && pattern.test(e.name)).map((e) => join(e.parentPath, e.name));
}

describe("Sigma regression data", () => {
  it("every regression event matches its rule", async () => {
    const byId = new Map<string, CompiledRule>();
    for (const dir of RULE_DIRS) {
      const { loaded } = await loadRuleDirectory(join(SIGMA, dir));
      for (const compiled of loaded) if (compiled.rule.id) byId.set(compiled.rule.id, compiled);
    }
    const infos = await findFiles(join(SIGMA, "regression_data"), /^info\.yml$/);
    expect(infos.length).toBeGreaterThan(100);
    const passed: string[] = [];
    const failed: string[] = [];
    const withoutEvents: string[] = [];
    const cases: { compiled: CompiledRule; events: SigmaEvent[] }[] = [];
    for (const info of infos) {
      const meta = parse(await readFile(info, "utf8")) as { rule_metadata?: { id: string }[] };
      const ruleId = meta.rule_metadata?.[0]?.id ?? "";
      const compiled = byId.get(ruleId);
      const jsonFiles = (await readdir(dirname(info))).filter((name) => name.endsWith(".json"));
      if (jsonFiles.length === 0) {
        withoutEvents.push(info);
        continue;
      }
      if (!compiled) {
        failed.push(`${info}: rule ${ruleId} not loaded`);
        continue;
      }
      const events: SigmaEvent[] = [];
      for (const name of jsonFiles) {
        const documents = await readJsonDocuments(join(dirname(info), name));
        for (const document of documents.flat()) events.push(flattenWindowsEvent(document));
      }
      cases.push({ compiled, events });
      if (events.some((event) => compiled.match(event))) passed.push(ruleId);
      else failed.push(`${compiled.file ?? ruleId}: no event matched`);
    }
    console.log(
      `regression: ${passed.length}/${infos.length - withoutEvents.length} passed; without JSON events: ${withoutEvents.length}`,
      failed,
    );
    expect(passed.length).toBeGreaterThan(190);
    expect(failed).toEqual([]);

    // The same rules must stay quiet on the other folders' events, or "matches" would mean nothing.
    let pairs = 0;
    let crossMatches = 0;
    for (const { compiled } of cases) {
      for (const other of cases) {
        if (other.compiled.rule.id === compiled.rule.id) continue;
        pairs++;
        if (other.events.some((event) => compiled.match(event))) crossMatches++;
      }
    }
    console.log(`regression: ${crossMatches} of ${pairs} rule × foreign-event pairs matched`);
    expect(crossMatches / pairs).toBeLessThan(0.01);
  });
});
