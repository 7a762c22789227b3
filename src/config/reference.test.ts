import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ENVIRONMENT_VARIABLES } from "./environment.js";
import { configReference, referenceRows, schemaComments } from "./reference.js";

const root = path.resolve(import.meta.dirname, "../..");
const source = readFileSync(path.join(root, "src/config/config.ts"), "utf8");

describe("configuration reference", () => {
  it("docs/configuration.md is what the schema generates (run `npx tsx scripts/config-reference.ts` after changing it)", () => {
    expect(readFileSync(path.join(root, "docs/configuration.md"), "utf8")).toBe(configReference(source));
  });

  it("lists every key with its type, every default and every environment variable", () => {
    const rows = referenceRows(source);
    const keys = rows.map((r) => r.key);
    for (const key of ["home", "port", "server.tls.cert_file", "grouping.window_minutes", "connectors.sources[].interval_seconds", "crew.retry.max_attempts", "webhooks.senders[].auth"])
      expect(keys).toContain(key);
    expect(rows.find((r) => r.key === "port")).toMatchObject({ type: "integer (≥ 0, ≤ 65535)", default: "`8700`", environment: "`NIGHTSHIFT_PORT`" });
    for (const row of rows) expect(row.type, row.key).not.toBe("any");
    const text = configReference(source);
    for (const variable of ENVIRONMENT_VARIABLES) expect(text, variable.name).toContain(`\`${variable.name}\``);
  });

  it("takes each key's doc comment from the schema source, by nesting", () => {
    const comments = schemaComments(`export const S = z.strictObject({
  /** Top. */
  a: z.strictObject({
    /**
     * Nested,
     * on two lines.
     */
    b: z.string(),
    c: z.number(),
  }),
});`);
    expect(Object.fromEntries(comments)).toEqual({ a: "Top.", "a.b": "Nested, on two lines." });
  });
});
