import { z } from "zod";
import { ConfigSchema } from "./config.js";
import { ENVIRONMENT_VARIABLES } from "./environment.js";

/*
 * The configuration reference (docs/configuration.md), generated from the schema: every key with its type,
 * default and environment variable, and the schema's own doc comment as its meaning. `scripts/config-reference.ts`
 * writes it; reference.test.ts fails when the committed file is not what the schema generates.
 */

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  default?: unknown;
  anyOf?: JsonSchema[];
  required?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  pattern?: string;
}

/** Doc comments of the schema's keys by dotted path, read from the schema's source (config.ts). */
export function schemaComments(source: string): Map<string, string> {
  const comments = new Map<string, string>();
  const stack: { indent: number; key: string }[] = [];
  let pending: string[] | null = null;
  let collecting: string[] | null = null;
  for (const line of source.split("\n")) {
    const trimmed = line.trim();
    if (collecting) {
      collecting.push(trimmed.replace(/^\*\/?\s?/, "").replace(/\*\/$/, "").trim());
      if (trimmed.endsWith("*/")) [pending, collecting] = [collecting, null];
      continue;
    }
    if (trimmed.startsWith("/**")) {
      const body = trimmed.replace(/^\/\*\*\s?/, "");
      if (body.endsWith("*/")) pending = [body.replace(/\*\/$/, "").trim()];
      else collecting = [body.trim()];
      continue;
    }
    const match = /^(\s*)([a-z_]+): z\b/.exec(line);
    if (match) {
      const indent = match[1]!.length;
      while (stack.length && stack.at(-1)!.indent >= indent) stack.pop();
      stack.push({ indent, key: match[2]! });
      if (pending) comments.set(stack.map((s) => s.key).join("."), pending.filter(Boolean).join(" "));
    }
    if (trimmed && !trimmed.startsWith("//")) pending = null;
  }
  return comments;
}

function isOpen(schema: JsonSchema): boolean {
  return schema.type === "object" && Object.keys(schema.properties ?? {}).length === 0;
}

function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((v) => `\`${String(v)}\``).join(" | ");
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(" or ");
  const type = Array.isArray(schema.type) ? schema.type.join(" or ") : schema.type;
  if (type === "array") return `list of ${schema.items ? typeOf(schema.items) : "values"}`;
  if (type === "object" && !schema.properties) return typeof schema.additionalProperties === "object" ? `map of ${typeOf(schema.additionalProperties)}` : "mapping";
  if (type === "object") return "mapping";
  const bounds: string[] = [];
  if (schema.minimum !== undefined) bounds.push(`≥ ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) bounds.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER) bounds.push(`≤ ${schema.maximum}`);
  if (schema.minLength !== undefined && schema.minLength > 1) bounds.push(`≥ ${schema.minLength} characters`);
  return `${type ?? "any"}${bounds.length ? ` (${bounds.join(", ")})` : ""}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export interface ReferenceRow {
  key: string;
  type: string;
  default: string;
  environment: string;
  meaning: string;
}

/** One row per setting, depth first in schema order; list items are `key[].field`. */
export function referenceRows(source: string): ReferenceRow[] {
  const comments = schemaComments(source);
  const environment = ENVIRONMENT_VARIABLES.filter((v) => v.key !== null);
  /** The variable of a setting; for an open mapping (model settings), those of its fields, with the field. */
  const envOf = (path: string, open: boolean) => [
    ...environment.filter((v) => v.key === path).map((v) => `\`${v.name}\``),
    ...(open ? environment.filter((v) => v.key!.startsWith(`${path}.`)).map((v) => `\`${v.name}\` (${v.key!.slice(path.length + 1)})`) : []),
  ];
  const rows: ReferenceRow[] = [];
  const walk = (schema: JsonSchema, path: string) => {
    const isLeafObject = schema.type === "object" && schema.properties;
    rows.push({
      key: path,
      type: typeOf(schema),
      default: schema.default === undefined || isLeafObject ? "" : `\`${JSON.stringify(schema.default)}\``,
      environment: envOf(path, isOpen(schema)).join(", "),
      meaning: comments.get(path.replace(/\[\]/g, "")) ?? ENVIRONMENT_VARIABLES.find((v) => v.key === path)?.note ?? "",
    });
    if (schema.properties) for (const [key, child] of Object.entries(schema.properties)) walk(child, `${path}.${key}`);
    if (schema.type === "array" && schema.items?.properties) for (const [key, child] of Object.entries(schema.items.properties)) walk(child, `${path}[].${key}`);
  };
  const root = z.toJSONSchema(ConfigSchema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  for (const [key, child] of Object.entries(root.properties ?? {})) walk(child, key);
  return rows;
}

export function configReference(source: string): string {
  const rows = referenceRows(source);
  const lines = [
    "# Configuration reference",
    "",
    "Generated from the configuration schema (`src/config/config.ts`) by `npx tsx scripts/config-reference.ts`: do not edit by hand.",
    "",
    "Settings are read from `$NIGHTSHIFT_HOME/nightshift.yaml` (or the file `NIGHTSHIFT_CONFIG` names); the environment",
    "variables below override them. Unknown keys are errors. Connector entries (`connectors.sources[]`) and model",
    "settings (`crew.model`, `crew.tiers.*`) take further settings of their kind, validated when they are built (see the README).",
    "",
    "| key | type | default | environment | meaning |",
    "|---|---|---|---|---|",
    ...rows.map((r) => `| \`${r.key}\` | ${cell(r.type)} | ${cell(r.default)} | ${r.environment} | ${cell(r.meaning)} |`),
    "",
    "Environment variables that are not settings:",
    "",
    ...ENVIRONMENT_VARIABLES.filter((v) => v.key === null).map((v) => `- \`${v.name}\`: ${v.note ?? ""}`),
    "",
  ];
  return lines.join("\n");
}
