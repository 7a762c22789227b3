// Writes docs/configuration.md from the configuration schema: `npx tsx scripts/config-reference.ts`.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { configReference } from "../src/config/reference.js";

const root = path.resolve(import.meta.dirname, "..");
const source = readFileSync(path.join(root, "src/config/config.ts"), "utf8");
writeFileSync(path.join(root, "docs/configuration.md"), configReference(source));
process.stdout.write("wrote docs/configuration.md\n");
