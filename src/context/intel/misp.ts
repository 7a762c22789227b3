import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { z } from "zod";
import type { Indicator } from "../../core/index.js";
import { formatPath } from "../load.js";
import type { IntelCandidate, IntelParse, IntelSkip } from "./store.js";

/** MISP attribute types Nightshift matches; a composite type (`domain|ip`) yields each part it knows. */
const TYPES: Record<string, Indicator["type"]> = {
  "ip-src": "ip",
  "ip-dst": "ip",
  /** The address half of `domain|ip`. */
  ip: "ip",
  domain: "domain",
  hostname: "domain",
  url: "url",
  link: "url",
  uri: "url",
  md5: "file_hash",
  sha1: "file_hash",
  sha256: "file_hash",
  "email-src": "email",
  "email-dst": "email",
  email: "email",
};

const Attribute = z.looseObject({
  type: z.string().min(1),
  value: z.string().min(1),
  category: z.string().optional(),
  to_ids: z.union([z.boolean(), z.string(), z.number()]).optional(),
  timestamp: z.union([z.string(), z.number()]).optional(),
  first_seen: z.string().nullable().optional(),
  last_seen: z.string().nullable().optional(),
  deleted: z.union([z.boolean(), z.string(), z.number()]).optional(),
});
type Attribute = z.infer<typeof Attribute>;

const Event = z.object({
  Event: z.looseObject({
    uuid: z.string().optional(),
    info: z.string().optional(),
    date: z.string().optional(),
    timestamp: z.union([z.string(), z.number()]).optional(),
    Attribute: z.array(Attribute).default([]),
    Object: z.array(z.looseObject({ Attribute: z.array(Attribute).default([]) })).default([]),
    Tag: z.array(z.looseObject({ name: z.string() })).optional(),
  }),
});

const truthy = (v: unknown) => v === true || v === 1 || v === "1" || v === "true" || v === "True";

function epochIso(value: string | number | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? new Date(n * 1000).toISOString() : undefined;
}

/** The (type, value) pairs of one attribute; composite `a|b` types split into both parts. */
function partsOf(type: string, value: string): { type: Indicator["type"]; value: string }[] | null {
  const types = type.split("|");
  const values = types.length > 1 ? value.split("|") : [value];
  if (types.length !== values.length) return null;
  const out: { type: Indicator["type"]; value: string }[] = [];
  types.forEach((t, i) => {
    const mapped = TYPES[t];
    if (mapped) out.push({ type: mapped, value: values[i]! });
  });
  return out;
}

interface AttributeContext {
  where: string;
  tags?: string[];
  eventDate?: string;
}

function fromAttribute(attribute: Attribute, context: AttributeContext, candidates: IntelCandidate[], skipped: IntelSkip[]) {
  if (truthy(attribute.deleted)) return;
  const parts = partsOf(attribute.type, attribute.value);
  if (!parts || parts.length === 0) {
    skipped.push({ path: context.where, reason: `attribute type "${attribute.type}" is not matched` });
    return;
  }
  // Attributes not flagged for detection are context, not indicators (MISP's own to_ids semantics).
  if (attribute.to_ids !== undefined && !truthy(attribute.to_ids)) {
    skipped.push({ path: context.where, reason: "to_ids is false" });
    return;
  }
  const seen = epochIso(attribute.timestamp);
  for (const part of parts)
    candidates.push({
      path: context.where,
      record: {
        type: part.type,
        value: part.value,
        category: attribute.category,
        first_seen: attribute.first_seen ?? context.eventDate ?? seen,
        last_seen: attribute.last_seen ?? seen,
        tags: context.tags,
      },
    });
}

/** One MISP event (`{"Event": {…}}`, as a feed's `<uuid>.json`): its to_ids attributes and those of its objects. */
export function parseMispEvent(data: unknown, file = "event"): IntelParse {
  const candidates: IntelCandidate[] = [];
  const issues: IntelParse["issues"] = [];
  const skipped: IntelSkip[] = [];
  const parsed = Event.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      issues.push({ path: `${file}: ${formatPath(issue.path.map((p) => (typeof p === "number" ? p : String(p)))) || "(root)"}`, message: issue.message });
    return { candidates, issues, skipped };
  }
  const event = parsed.data.Event;
  const tags = event.Tag?.map((t) => t.name);
  const eventDate = event.date && /^\d{4}-\d{2}-\d{2}$/.test(event.date) ? event.date : undefined;
  event.Attribute.forEach((attribute, i) => fromAttribute(attribute, { where: `${file}: Event.Attribute[${i}]`, tags, eventDate }, candidates, skipped));
  event.Object.forEach((object, o) =>
    object.Attribute.forEach((attribute, i) =>
      fromAttribute(attribute, { where: `${file}: Event.Object[${o}].Attribute[${i}]`, tags, eventDate }, candidates, skipped),
    ),
  );
  return { candidates, issues, skipped };
}

function combine(parts: IntelParse[]): IntelParse {
  return {
    candidates: parts.flatMap((p) => p.candidates),
    issues: parts.flatMap((p) => p.issues),
    skipped: parts.flatMap((p) => p.skipped),
  };
}

/** A MISP feed folder: `manifest.json` lists the events by uuid, each stored as `<uuid>.json` beside it. */
export async function readMispFeed(folder: string): Promise<IntelParse> {
  const manifestFile = path.join(folder, "manifest.json");
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(manifestFile, "utf8"));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { candidates: [], issues: [{ path: "manifest.json", message }], skipped: [] };
  }
  if (!manifest || typeof manifest !== "object" || Array.isArray(manifest))
    return { candidates: [], issues: [{ path: "manifest.json", message: "expected an object keyed by event uuid" }], skipped: [] };
  const parts: IntelParse[] = [];
  for (const uuid of Object.keys(manifest)) {
    const file = `${uuid}.json`;
    if (!/^[0-9a-f-]{36}$/i.test(uuid)) {
      parts.push({ candidates: [], issues: [{ path: `manifest.json: ${uuid}`, message: "not an event uuid" }], skipped: [] });
      continue;
    }
    let data: unknown;
    try {
      data = JSON.parse(await readFile(path.join(folder, file), "utf8"));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      parts.push({ candidates: [], issues: [{ path: file, message }], skipped: [] });
      continue;
    }
    parts.push(parseMispEvent(data, file));
  }
  return combine(parts);
}

/**
 * MISP's CSV feed/export: a header with at least `type` and `value` (also `uuid`, `event_id`, `category`,
 * `to_ids`, `date` as epoch seconds, `comment`…). Rows are located by their line.
 */
export function parseMispCsv(text: string): IntelParse {
  const candidates: IntelCandidate[] = [];
  const skipped: IntelSkip[] = [];
  let rows: { record: Record<string, string>; info: { lines: number } }[];
  try {
    rows = parseCsv(text, { bom: true, trim: true, skip_empty_lines: true, info: true, columns: (h: string[]) => h.map((n) => n.trim().toLowerCase()) }) as typeof rows;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { candidates, issues: [{ path: "file", message }], skipped };
  }
  if (rows.length > 0 && !("type" in rows[0]!.record && "value" in rows[0]!.record))
    return { candidates, issues: [{ path: "header", message: 'a MISP CSV needs "type" and "value" columns' }], skipped };
  const issues: IntelParse["issues"] = [];
  for (const { record, info } of rows) {
    const where = `row ${info.lines}`;
    if (!record.type || !record.value) {
      issues.push({ path: where, message: "type and value are required" });
      continue;
    }
    fromAttribute(
      { type: record.type, value: record.value, category: record.category || undefined, to_ids: record.to_ids || undefined, timestamp: record.date || undefined },
      { where },
      candidates,
      skipped,
    );
  }
  return { candidates, issues, skipped };
}
