import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApp, type App } from "../../src/app/index.js";
import { listCases } from "../../src/cases/index.js";
import { runDemoShift } from "../../src/cli/commands/demo.js";
import { z } from "zod";
import { Asset, ToraOutput, VeraOutput, type Case } from "../../src/core/index.js";
import { getToraDecision, loadToraInput } from "../../src/crew/tora/handler.js";
import { getVeraDecision } from "../../src/crew/vera/handler.js";
import { loadDemoOrg } from "../../src/demo/index.js";
import { cliEnvironment } from "../support/environment.js";
import { testStoreKind } from "../support/store.js";
import { checkContainment, checkFacts, type CaseData } from "./fact-check.js";

/**
 * The demo shift, worked in a test store: every sentence TORA and VERA publish that names an actor, a target or
 * an account must take it from the right field of the case's alerts (issue 13, items 10 and 11).
 */
describe(`demo write-ups state the case's facts (${testStoreKind()})`, () => {
  let environment: Awaited<ReturnType<typeof cliEnvironment>>;
  let app: App;
  const cases: { row: Case; data: CaseData; tora: ToraOutput; vera: VeraOutput | null }[] = [];

  beforeAll(async () => {
    environment = await cliEnvironment();
    app = await openApp({ env: environment.env });
    await runDemoShift(app);
    const assets = z.object({ assets: z.array(Asset) }).parse(loadDemoOrg()).assets;
    for (const row of await listCases(app.store.db, { limit: 500 })) {
      const { input } = await loadToraInput(app.store.db, row.id, app.clock.now());
      const tora = ToraOutput.parse((await getToraDecision(app.store.db, row.id))!.output);
      const veraDecision = await getVeraDecision(app.store.db, row.id);
      cases.push({ row, data: { alerts: input.alerts, assets }, tora, vera: veraDecision ? VeraOutput.parse(veraDecision.output) : null });
    }
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    await environment?.cleanup();
  });

  it("TORA's hypothesis, rationale and handoff name actors, targets and accounts from the right fields", () => {
    expect(cases.length).toBeGreaterThan(20);
    const problems = cases.flatMap(({ row, data, tora }) => {
      const pkg = tora.escalation_package;
      const texts: [string, string][] = [[`${row.id} rationale`, tora.rationale]];
      if (pkg) {
        texts.push([`${row.id} hypothesis`, pkg.hypothesis], [`${row.id} what was found`, pkg.case_summary.what_was_found], [`${row.id} why it matters`, pkg.case_summary.why_it_matters]);
        pkg.suggested_focus.forEach((focus, i) => texts.push([`${row.id} focus ${i + 1}`, focus]));
      }
      if (tora.insufficient_context_package) texts.push([`${row.id} partial assessment`, tora.insufficient_context_package.partial_assessment]);
      return texts.flatMap(([label, text]) => checkFacts(label, text, data));
    });
    expect(problems).toEqual([]);
  });

  it("publishes short posts (closure ≤ 200 words, escalation and investigation ≤ 350) with the full trace one link away", () => {
    const journal = path.join(app.config.home, "journal");
    const lengths: string[] = [];
    const files = readdirSync(path.join(journal, "posts")).filter((d) => d.startsWith("TORA-")).flatMap((d) => readdirSync(path.join(journal, "posts", d)).map((f) => `${d}/${f}`));
    expect(files.length).toBeGreaterThan(cases.length);
    for (const file of files) {
      const text = readFileSync(path.join(journal, "posts", file), "utf8");
      const disposition = /^disposition: (\w+)$/m.exec(text)![1]!;
      const body = text.replace(/^---\n[\s\S]*?\n---\n/, "");
      const count = body.split(/\s+/).filter(Boolean).length;
      const limit = disposition === "CLOSED" ? 200 : 350;
      if (count > limit) lengths.push(`${file} (${disposition}): ${count} words > ${limit}`);
      expect(body, file).not.toContain("```json");
      // The trace: linked from the post, written beside the posts, rendered as a page of the site.
      const link = /\[Full reasoning trace\]\(\.\.\/\.\.\/(traces\/[^)]+\.md)\)/.exec(body);
      expect(link, file).not.toBeNull();
      const trace = readFileSync(path.join(journal, link![1]!), "utf8");
      expect(trace).toContain("## How I got there");
      expect(existsSync(path.join(journal, "site", link![1]!.replace(/\.md$/, ".html"))), link![1]).toBe(true);
      const page = readFileSync(path.join(journal, "site", "posts", file.replace(/\.md$/, ".html")), "utf8");
      expect(page).toContain(`href="../../${link![1]!.replace(/\.md$/, ".html")}"`);
    }
    expect(lengths).toEqual([]);
  });

  it("VERA's narrative, root cause, entry vector and containment name them from the right fields", () => {
    const investigated = cases.filter((c) => c.vera);
    expect(investigated.length).toBeGreaterThan(5);
    const problems = investigated.flatMap(({ row, data, vera }) => [
      ...checkFacts(`${row.id} VERA narrative`, vera!.narrative, data),
      ...checkFacts(`${row.id} VERA root cause`, vera!.root_cause.description, data),
      ...checkFacts(`${row.id} VERA entry vector`, vera!.entry_vector.value ?? "", data),
      ...vera!.containment.recommendations.flatMap((r) => checkFacts(`${row.id} VERA containment ${r.action_hint}`, `${r.target}: ${r.rationale}`, data)),
      ...checkContainment(`${row.id} VERA`, vera!.containment.recommendations, data),
    ]);
    expect(problems).toEqual([]);
  });
});
