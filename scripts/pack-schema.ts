// Writes src/lab/pack.schema.json from the zod schema (src/lab/schema.ts), the one source of truth.
// Run after changing the schema: npx tsx scripts/pack-schema.ts  (src/lab/schema.test.ts fails while they differ)
import { writeFileSync } from "node:fs";
import { packJsonSchema } from "../src/lab/schema.js";

writeFileSync(new URL("../src/lab/pack.schema.json", import.meta.url), `${JSON.stringify(packJsonSchema(), null, 2)}\n`);
