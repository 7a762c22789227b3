import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";

/**
 * Which test files exercise a database: those whose relative-import closure reaches the module that hands
 * out test databases (`test/support/store.ts`). The postgres project runs only these; every other test is
 * store-free and runs once, in the sqlite project. Computed from the sources at config time, so a new store
 * test is picked up without a list to maintain.
 */
const importPattern = /(?:import|export)\s[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

function resolveImport(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, ".ts"), base, `${base}.ts`, path.join(base, "index.ts")];
  return candidates.find((candidate) => candidate.endsWith(".ts") && existsSync(candidate));
}

function listTests(dir: string, out: string[]): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules") listTests(full, out);
    } else if (entry.name.endsWith(".test.ts")) out.push(full);
  }
}

/** Every `*.test.ts` under the folders, relative to root with `/` separators, sorted. */
export function listTestFiles(root: string, folders: string[]): string[] {
  const tests: string[] = [];
  for (const folder of folders) listTests(path.resolve(root, folder), tests);
  return tests.map((file) => path.relative(root, file).split(path.sep).join("/")).sort();
}

/** Test files (relative to root) whose imports, followed transitively, reach `target`. */
export function testsReaching(root: string, folders: string[], target: string): string[] {
  const goal = path.resolve(root, target);
  const memo = new Map<string, boolean>();
  const reaches = (file: string): boolean => {
    const known = memo.get(file);
    if (known !== undefined) return known;
    memo.set(file, false); // cycles: assume not until proven
    if (file === goal) {
      memo.set(file, true);
      return true;
    }
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(importPattern)) {
      const resolved = resolveImport(file, (match[1] ?? match[2]) as string);
      if (resolved && reaches(resolved)) {
        memo.set(file, true);
        return true;
      }
    }
    return false;
  };
  return listTestFiles(root, folders).filter((file) => reaches(path.resolve(root, file)));
}
