import { z } from "zod";
import type { Indicator } from "../../core/index.js";
import { formatPath } from "../load.js";
import { parseStixPattern, StixPatternError, type ComparisonExpression, type Literal, type ObservationExpression } from "./stix-pattern.js";
import type { IntelCandidate, IntelParse, IntelSkip } from "./store.js";

/** The object paths Nightshift can match, and the indicator type each becomes. */
const PATHS: Record<string, Indicator["type"]> = {
  "ipv4-addr:value": "ip",
  "ipv6-addr:value": "ip",
  "domain-name:value": "domain",
  "url:value": "url",
  "email-addr:value": "email",
  "file:hashes.SHA-256": "file_hash",
  "file:hashes.SHA256": "file_hash",
  "file:hashes.MD5": "file_hash",
  "file:hashes.SHA-1": "file_hash",
  "file:hashes.SHA1": "file_hash",
};

const StixIndicator = z.object({
  type: z.literal("indicator"),
  id: z.string().regex(/^indicator--[0-9a-f-]{36}$/i, "expected indicator--<uuid>"),
  pattern: z.string().min(1),
  pattern_type: z.string().min(1),
  valid_from: z.string().min(1),
  valid_until: z.string().optional(),
  created: z.string().optional(),
  modified: z.string().optional(),
  revoked: z.boolean().optional(),
  labels: z.array(z.string()).optional(),
  indicator_types: z.array(z.string()).optional(),
  confidence: z.number().int().min(0).max(100).optional(),
  name: z.string().optional(),
});

const Bundle = z.object({
  type: z.literal("bundle"),
  id: z.string().optional(),
  objects: z.array(z.looseObject({ type: z.string(), id: z.string().optional() })),
});

interface Value {
  type: Indicator["type"];
  value: string;
}

/**
 * The values a pattern means as "any of": comparisons with `=` (or IN, or ISSUBSET for a network) over a
 * supported path, joined by OR at either level. Anything else — AND, FOLLOWEDBY, qualifiers, NOT, other
 * operators or paths — cannot be one value and is reported as skipped, with the part of the pattern.
 */
function valuesOf(expression: ObservationExpression, skip: (part: string, reason: string) => void): Value[] {
  switch (expression.kind) {
    case "or":
      return [...valuesOf(expression.left, skip), ...valuesOf(expression.right, skip)];
    case "and":
    case "followedby":
      skip(expression.text, `observations joined by ${expression.kind.toUpperCase()} are a correlation, not a single value`);
      return [];
    case "qualified":
      skip(expression.text, `the ${expression.qualifier} qualifier needs several observations over time`);
      return [];
    case "observation":
      return comparisonValues(expression.expression, skip);
  }
}

function comparisonValues(expression: ComparisonExpression, skip: (part: string, reason: string) => void): Value[] {
  if (expression.kind !== "comparison") {
    if (expression.kind === "or") return [...comparisonValues(expression.left, skip), ...comparisonValues(expression.right, skip)];
    skip(expression.text, "comparisons joined by AND describe one object with several properties, not a single value");
    return [];
  }
  const type = PATHS[`${expression.object}:${expression.path}`];
  if (!type) {
    skip(expression.text, `unsupported object path ${expression.object}:${expression.path}`);
    return [];
  }
  if (expression.negated) {
    skip(expression.text, "a negated comparison matches everything else");
    return [];
  }
  const literal = expression.value;
  const strings =
    literal?.kind === "string" ? [literal.value] : literal?.kind === "list" ? literal.value.map((v: Literal) => (v.kind === "string" ? v.value : null)) : [null];
  const allowed = expression.operator === "=" || expression.operator === "IN" || (expression.operator === "ISSUBSET" && type === "ip");
  if (!allowed || strings.some((s) => s === null)) {
    skip(expression.text, `operator ${expression.operator} with this value cannot be matched as a value`);
    return [];
  }
  return (strings as string[]).map((value) => ({ type, value }));
}

function verdictOf(types: string[] | undefined): Indicator["verdict"] {
  const lower = (types ?? []).map((t) => t.toLowerCase());
  if (lower.includes("benign")) return "benign";
  if (lower.length > 0 && lower.every((t) => t === "anomalous-activity" || t === "unknown")) return "suspicious";
  return "malicious";
}

/**
 * A STIX 2.1 bundle: every non-revoked `indicator` with `pattern_type: stix` becomes one indicator per
 * value its pattern names. `valid_from` is the first sighting, `modified` the last, `valid_until` the
 * expiry; labels become tags, `indicator_types` the category and verdict, and an `indicates`
 * relationship to a malware object names the malware.
 */
export function parseStixBundle(data: unknown): IntelParse {
  const candidates: IntelCandidate[] = [];
  const issues: IntelParse["issues"] = [];
  const skipped: IntelSkip[] = [];
  const bundle = Bundle.safeParse(data);
  if (!bundle.success) {
    for (const issue of bundle.error.issues) issues.push({ path: formatPath(issue.path.map((p) => (typeof p === "number" ? p : String(p)))) || "(root)", message: issue.message });
    return { candidates, issues, skipped };
  }
  const objects = bundle.data.objects;
  const malwareNames = new Map<string, string>();
  for (const object of objects) if (object.type === "malware" && object.id && typeof object.name === "string") malwareNames.set(object.id, object.name);
  const malwareOf = new Map<string, string>();
  for (const object of objects) {
    if (object.type !== "relationship" || object.relationship_type !== "indicates") continue;
    const name = malwareNames.get(String(object.target_ref));
    if (name && typeof object.source_ref === "string" && !malwareOf.has(object.source_ref)) malwareOf.set(object.source_ref, name);
  }

  objects.forEach((object, index) => {
    if (object.type !== "indicator") return;
    const base = `objects[${index}]`;
    const parsed = StixIndicator.safeParse(object);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push({ path: formatPath(["objects", index, ...issue.path.map((p) => (typeof p === "number" ? p : String(p)))]), message: issue.message });
      return;
    }
    const indicator = parsed.data;
    if (indicator.revoked) {
      skipped.push({ path: base, reason: `${indicator.id} is revoked` });
      return;
    }
    if (indicator.pattern_type !== "stix") {
      skipped.push({ path: `${base}.pattern_type`, reason: `pattern_type "${indicator.pattern_type}" is not stix` });
      return;
    }
    let expression: ObservationExpression;
    try {
      expression = parseStixPattern(indicator.pattern);
    } catch (error) {
      if (!(error instanceof StixPatternError)) throw error;
      issues.push({ path: `${base}.pattern`, message: `not a STIX pattern: ${error.message}` });
      return;
    }
    const values = valuesOf(expression, (part, reason) => skipped.push({ path: `${base}.pattern`, reason: `${reason}: ${part}` }));
    values.forEach((value, n) =>
      candidates.push({
        path: values.length > 1 ? `${base}.pattern[${n}]` : `${base}.pattern`,
        record: {
          type: value.type,
          value: value.value,
          verdict: verdictOf(indicator.indicator_types),
          category: indicator.indicator_types?.[0],
          associated_malware: malwareOf.get(indicator.id),
          first_seen: indicator.valid_from,
          last_seen: indicator.modified ?? indicator.created,
          expires_at: indicator.valid_until,
          confidence: indicator.confidence,
          tags: indicator.labels,
        },
      }),
    );
  });
  return { candidates, issues, skipped };
}
