import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { loadPack, packFiles } from "./load.js";
import { BUILTIN_PACKS_DIR } from "./index.js";
import { packJsonSchema } from "./schema.js";

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;
const schemaFile = path.join(import.meta.dirname, "pack.schema.json");

describe("pack.schema.json", () => {
  it("is the JSON Schema generated from the zod schema (run `npx tsx scripts/pack-schema.ts` after changing it)", () => {
    expect(JSON.parse(readFileSync(schemaFile, "utf8"))).toEqual(packJsonSchema());
  });

  const validate = addFormats(new Ajv2020({ allErrors: true, strict: false })).compile(JSON.parse(readFileSync(schemaFile, "utf8")));
  const builtin = packFiles([BUILTIN_PACKS_DIR]);

  it("has at least ten built-in packs, each valid for the loader and for the shipped JSON Schema", () => {
    expect(builtin.length).toBeGreaterThanOrEqual(10);
    const names = new Set<string>();
    for (const file of builtin) {
      const loaded = loadPack(file);
      names.add(loaded.pack.name);
      const ok = validate(parseYaml(readFileSync(file, "utf8")));
      expect(ok, `${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
      // Every pack puts an attack or noise beside the other: both truths are present.
      const truths = loaded.entries.map((e) => e.truth.malicious);
      expect(truths, file).toContain(false);
      if (loaded.pack.name !== "benign-admin-noise") expect(truths, file).toContain(true);
    }
    expect(names.size).toBe(builtin.length);
  });

  it("rejects what the loader rejects in shape: an unknown key, a truth without malicious", () => {
    const base = parseYaml(readFileSync(builtin[0]!, "utf8")) as Record<string, unknown>;
    expect(validate({ ...base, colour: "red" })).toBe(false);
    expect(validate({ ...base, timeline: [{ at: "1m", alert: { title: "x" }, truth: {} }] })).toBe(false);
  });
});
