// Copies the non-TypeScript files the product reads at run time (demo data, the crew's versioned prompt files) from src/ to dist/.
import { cpSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const exts = new Set([".json", ".ndjson", ".yml", ".yaml", ".css"]);
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) walk(full);
    // Rule fixtures are test data, not product.
    else if (exts.has(path.extname(name)) && !(name === "fixtures.json" && full.includes(`detect${path.sep}rules`))) cpSync(full, full.replace(/^src/, "dist"));
    // Prompt files (src/crew/<agent>/prompt/*.md) are read at run time; other Markdown (READMEs) is not.
    else if (path.extname(name) === ".md" && path.basename(dir) === "prompt") cpSync(full, full.replace(/^src/, "dist"));
  }
}
walk("src");
