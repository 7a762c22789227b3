import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { ValidationError, issuesOf } from "../../core/errors.js";

/** Field → accepted values ("*" alone: the field is present). Compared as case-insensitive text. */
const conditionValue = z
  .union([z.string(), z.number(), z.array(z.union([z.string(), z.number()])).min(1)])
  .transform((value) => (Array.isArray(value) ? value : [value]).map((v) => String(v)));

const Conditions = z.record(z.string().min(1), conditionValue);

const CategorySource = z
  .object({
    service: z.string().min(1).optional(),
    fields: z.record(z.string().min(1), z.string().min(1)).default({}),
  })
  .catchall(conditionValue);

const Service = z.object({ fields: z.record(z.string().min(1), z.string().min(1)).default({}) }).catchall(conditionValue);

const ProductMapping = z.strictObject({
  identify: z.array(Conditions).default([]),
  services: z.record(z.string().min(1), Service).default({}),
  categories: z.record(z.string().min(1), z.array(CategorySource).min(1)).default({}),
});

export const LogsourceFile = z.strictObject({
  products: z.record(z.string().min(1), ProductMapping),
});
export type LogsourceFile = z.infer<typeof LogsourceFile>;

export type Conditions = Record<string, string[]>;

/** One kind of event a rule may run on: all `conditions` hold, and `fields` are copied (Sigma name ← event name). */
export interface EventSource {
  conditions: Conditions;
  fields: Record<string, string>;
}

export interface ProductMappingResolved {
  identify: Conditions[];
  services: Record<string, { conditions: Conditions; fields: Record<string, string> }>;
  categories: Record<string, { service?: string; conditions: Conditions; fields: Record<string, string> }[]>;
}

export interface LogsourceMappings {
  products: Record<string, ProductMappingResolved>;
}

/** Rules without a product are looked up under this product (web servers, proxies). */
export const GENERIC_PRODUCT = "generic";

export type RuleLogsource = { product?: string; service?: string; category?: string };

/**
 * Where a rule may run:
 * - `sources`: it has conditions (category or service known for its product);
 * - `product`: its product is mapped but neither category nor service is: it runs on every event of the product;
 * - `unmapped`: its product is not mapped: it runs only on events no mapped product claims.
 */
export type RuleTarget =
  | { kind: "sources"; product: string; sources: EventSource[] }
  | { kind: "product"; product: string }
  | { kind: "unmapped" };

const BUILT_IN_DIR = import.meta.dirname;

function resolveProduct(raw: z.infer<typeof ProductMapping>): ProductMappingResolved {
  const categories: ProductMappingResolved["categories"] = {};
  for (const [name, sources] of Object.entries(raw.categories)) {
    categories[name] = sources.map(({ service, fields, ...conditions }) => ({
      ...(service === undefined ? {} : { service }),
      conditions: conditions as Conditions,
      fields,
    }));
  }
  const services: ProductMappingResolved["services"] = {};
  for (const [name, { fields, ...conditions }] of Object.entries(raw.services)) {
    services[name] = { conditions: conditions as Conditions, fields };
  }
  return { identify: raw.identify, services, categories };
}

/** Parses and validates one self-contained mapping file's text; `name` prefixes error paths. */
export function parseLogsourceFile(text: string, name: string): LogsourceMappings {
  const mappings = parseFile(text, name);
  checkServiceReferences(mappings, mappings, name);
  return mappings;
}

function parseFile(text: string, name: string): LogsourceMappings {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new ValidationError(`invalid logsource mapping ${name}`, [
      { path: name, message: error instanceof Error ? error.message : String(error) },
    ]);
  }
  const result = LogsourceFile.safeParse(raw);
  if (!result.success) {
    throw new ValidationError(`invalid logsource mapping ${name}`, issuesOf(result.error, name));
  }
  const products: Record<string, ProductMappingResolved> = {};
  for (const [product, mapping] of Object.entries(result.data.products)) products[product] = resolveProduct(mapping);
  return { products };
}

/** Every `service` a category of `file` names must exist in `known` (the file itself, or it merged over others). */
function checkServiceReferences(file: LogsourceMappings, known: LogsourceMappings, name: string): void {
  const issues: { path: string; message: string }[] = [];
  for (const [product, mapping] of Object.entries(file.products)) {
    for (const [category, sources] of Object.entries(mapping.categories)) {
      sources.forEach((source, index) => {
        if (source.service !== undefined && !known.products[product]?.services[source.service]) {
          issues.push({
            path: `${name}.products.${product}.categories.${category}.${index}.service`,
            message: `unknown service "${source.service}" for product ${product}`,
          });
        }
      });
    }
  }
  if (issues.length > 0) throw new ValidationError(`invalid logsource mapping ${name}`, issues);
}

/**
 * Later files win per entry: a product's service or category given again replaces the earlier one;
 * `identify` lists are added to.
 */
export function mergeMappings(base: LogsourceMappings, extra: LogsourceMappings): LogsourceMappings {
  const products: Record<string, ProductMappingResolved> = { ...base.products };
  for (const [product, mapping] of Object.entries(extra.products)) {
    const previous = products[product];
    products[product] = previous
      ? {
          identify: [...previous.identify, ...mapping.identify],
          services: { ...previous.services, ...mapping.services },
          categories: { ...previous.categories, ...mapping.categories },
        }
      : mapping;
  }
  return { products };
}

async function builtInFiles(): Promise<string[]> {
  const names = await readdir(BUILT_IN_DIR);
  return names
    .filter((name) => /\.ya?ml$/i.test(name))
    .sort()
    .map((name) => join(BUILT_IN_DIR, name));
}

/** The built-in mappings (every *.yml shipped beside this module), then each of `extraFiles` merged over them. */
export async function loadLogsourceMappings(extraFiles: string[] = []): Promise<LogsourceMappings> {
  let mappings: LogsourceMappings = { products: {} };
  for (const file of [...(await builtInFiles()), ...extraFiles]) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      throw new ValidationError(`cannot read logsource mapping ${file}`, [
        { path: file, message: error instanceof Error ? error.message : String(error) },
      ]);
    }
    const parsed = parseFile(text, file);
    mappings = mergeMappings(mappings, parsed);
    checkServiceReferences(parsed, mappings, file);
  }
  return mappings;
}

/** Resolves a rule's logsource to the events it may run on (see RuleTarget). */
export function ruleTarget(mappings: LogsourceMappings, logsource: RuleLogsource): RuleTarget {
  const product = logsource.product ?? GENERIC_PRODUCT;
  const mapping = mappings.products[product];
  if (!mapping) return { kind: "unmapped" };
  const { category, service } = logsource;
  if (category !== undefined) {
    const sources = mapping.categories[category];
    if (sources) {
      const narrowed = service === undefined ? sources : sources.filter((s) => s.service === service);
      const chosen = narrowed.length > 0 ? narrowed : sources;
      return {
        kind: "sources",
        product,
        sources: chosen.map((source) => {
          const service = source.service === undefined ? undefined : mapping.services[source.service];
          return {
            conditions: { ...service?.conditions, ...source.conditions },
            fields: { ...service?.fields, ...source.fields },
          };
        }),
      };
    }
  }
  if (service !== undefined) {
    const resolved = mapping.services[service];
    if (resolved) return { kind: "sources", product, sources: [{ ...resolved }] };
  }
  return { kind: "product", product };
}

function text(value: unknown): string | undefined {
  if (typeof value === "string") return value.toLowerCase();
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A field of an event: its own key first (flat EVTX names, dotted keys as some shippers flatten ECS), else the
 * dotted path through nested objects (`process.parent.executable` in ECS and OCSF documents).
 */
export function fieldAt(event: Record<string, unknown>, field: string): unknown {
  const own = event[field];
  if (own !== undefined || !field.includes(".")) return own;
  let current: unknown = event;
  for (const part of field.split(".")) {
    if (!isObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** A precompiled test of one condition set; a list value (ECS `event.category: [process]`) holds if one item does. */
export function conditionTest(conditions: Conditions): (event: Record<string, unknown>) => boolean {
  const checks = Object.entries(conditions).map(([field, values]) => {
    if (values.length === 1 && values[0] === "*") {
      return (event: Record<string, unknown>) => {
        const value = fieldAt(event, field);
        return value !== undefined && value !== null;
      };
    }
    const accepted = new Set(values.map((v) => v.toLowerCase()));
    return (event: Record<string, unknown>) => {
      const value = fieldAt(event, field);
      if (Array.isArray(value)) return value.some((item) => accepted.has(text(item) ?? ""));
      const single = text(value);
      return single !== undefined && accepted.has(single);
    };
  });
  return (event) => checks.every((check) => check(event));
}

/** A copy of `event` with each Sigma field filled from its event field (the event is left untouched). */
export function applyFieldMap(event: Record<string, unknown>, fields: Record<string, string>): Record<string, unknown> {
  const entries = Object.entries(fields);
  if (entries.length === 0) return event;
  const copy = { ...event };
  for (const [sigmaField, eventField] of entries) {
    // Reads the copy, so a later entry can build on an earlier one (service renames, then category renames).
    if (copy[sigmaField] !== undefined) continue;
    const value = fieldAt(copy, eventField);
    if (value !== undefined) copy[sigmaField] = value;
  }
  return copy;
}
