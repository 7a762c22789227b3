import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// Test helpers live beside the code they help test, under names the build leaves out: `*.test.ts`,
// `testing.ts`, anything under a `testing/` folder, and `test-*.ts`. This checks that the published build
// (tsconfig.build.json) compiles none of them, that nothing it compiles pulls one in (or anything of `test/`,
// or vitest), and that the helpers under src/ do not reach into `test/`, which is not part of the package.

const ROOT = path.resolve(import.meta.dirname, "..");
const SRC = path.join(ROOT, "src");
const TEST = path.join(ROOT, "test");

function isTestHelper(file: string): boolean {
  const relative = path.relative(SRC, file).split(path.sep);
  if (relative[0] === ".." || path.isAbsolute(relative.join("/"))) return false;
  const base = relative[relative.length - 1]!;
  return base.endsWith(".test.ts") || base === "testing.ts" || base.startsWith("test-") || relative.slice(0, -1).includes("testing");
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** The files the build compiles from its own include/exclude: its root files. */
function buildRoots(): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, "tsconfig.build.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
    },
  });
  if (!parsed) throw new Error("tsconfig.build.json could not be read");
  return parsed.fileNames.map((file) => path.resolve(file));
}

/** Module specifiers of a file (static, dynamic and type imports, re-exports). */
function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles.map((ref) => ref.fileName);
}

function resolveRelative(from: string, specifier: string): string | null {
  if (!specifier.startsWith(".")) return null;
  const target = path.resolve(path.dirname(from), specifier);
  for (const candidate of [target.replace(/\.js$/, ".ts"), target, `${target}.ts`, path.join(target, "index.ts")]) {
    if (candidate.endsWith(".ts") && existsSync(candidate)) return candidate;
  }
  return target;
}

/** Every file the build would compile: its roots and whatever they import, transitively. */
function buildClosure(): Map<string, string | null> {
  const reachedFrom = new Map<string, string | null>(buildRoots().map((file) => [file, null]));
  const queue = [...reachedFrom.keys()];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (!file.endsWith(".ts") || !existsSync(file)) continue;
    for (const specifier of importsOf(file)) {
      const target = resolveRelative(file, specifier);
      if (target === null || reachedFrom.has(target)) continue;
      reachedFrom.set(target, file);
      queue.push(target);
    }
  }
  return reachedFrom;
}

describe("the published build", () => {
  it("recognises the helper names it must leave out", () => {
    expect(isTestHelper(path.join(SRC, "crew/runtime/test-fixtures.ts"))).toBe(true);
    expect(isTestHelper(path.join(SRC, "crew/testing/fixtures.ts"))).toBe(true);
    expect(isTestHelper(path.join(SRC, "crew/tools/testing.ts"))).toBe(true);
    expect(isTestHelper(path.join(SRC, "events/search.test.ts"))).toBe(true);
    expect(isTestHelper(path.join(SRC, "crew/runtime/agent.ts"))).toBe(false);
    expect(isTestHelper(path.join(SRC, "events/readers/data.ts"))).toBe(false);
  });

  it("compiles no test helper of src/", () => {
    const roots = buildRoots();
    expect(roots.length).toBeGreaterThan(100);
    expect(roots.filter(isTestHelper).map((file) => path.relative(ROOT, file))).toEqual([]);
  });

  it("pulls in no test helper, nothing of test/ and not vitest through the imports of what it compiles", () => {
    const closure = buildClosure();
    const offending = [...closure.entries()]
      .filter(([file]) => isTestHelper(file) || file.startsWith(TEST + path.sep))
      .map(([file, from]) => `${path.relative(ROOT, file)} (imported by ${from ? path.relative(ROOT, from) : "the build's include"})`);
    expect(offending).toEqual([]);
    const vitest = [...closure.keys()].filter((file) => file.endsWith(".ts") && existsSync(file) && importsOf(file).some((s) => s === "vitest" || s.startsWith("vitest/")));
    expect(vitest.map((file) => path.relative(ROOT, file))).toEqual([]);
  });

  it("has no helper under src/ that imports from test/", () => {
    const reaching = sourceFiles(SRC)
      .filter((file) => isTestHelper(file) && !file.endsWith(".test.ts"))
      .filter((file) => importsOf(file).some((specifier) => resolveRelative(file, specifier)?.startsWith(TEST + path.sep)))
      .map((file) => path.relative(ROOT, file));
    expect(reaching).toEqual([]);
  });
});
