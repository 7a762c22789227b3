import { z } from "zod";
import { ValidationError } from "../core/index.js";

/** Dotted or flat data keys ("CommandLine", "process.parent.pid", "@timestamp"); no quotes, spaces or brackets. */
const FIELD_PATTERN = /^[\p{L}\p{N}_@$#:-]+(\.[\p{L}\p{N}_@$#:-]+)*$/u;

export const FieldName = z
  .string()
  .min(1)
  .max(200)
  .regex(FIELD_PATTERN, "must be a data key: letters, digits, _ @ $ # : - and dots between parts");

const IsoTime = z
  .string()
  .refine((v) => /^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(Date.parse(v)), "must be an ISO-8601 time")
  .transform((v) => new Date(v).toISOString());

export const EventFilter = z.strictObject({
  field: FieldName,
  value: z
    .union([z.string(), z.number(), z.boolean()])
    .transform(String)
    .default(""),
  op: z.enum(["eq", "neq", "contains", "exists"]).default("eq"),
});

export const EventQuery = z.strictObject({
  from: IsoTime.optional(),
  to: IsoTime.optional(),
  host: z.string().trim().min(1).optional(),
  user: z.string().trim().min(1).optional(),
  process: z.string().trim().min(1).optional(),
  event_id: z
    .union([z.string().trim().min(1), z.number().int()])
    .transform((v) => String(v))
    .optional(),
  channel: z.string().trim().min(1).optional(),
  filters: z.array(EventFilter).max(50).optional(),
  text: z.string().max(1000).optional(),
  fields: z.array(FieldName).max(100).optional(),
  limit: z.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(1000).optional(),
  order: z.enum(["asc", "desc"]).default("desc"),
});
export type EventQuery = z.input<typeof EventQuery>;
export type ParsedEventQuery = z.output<typeof EventQuery>;

export const CountBy = z.enum(["host", "user", "event_id", "process", "channel"]);
export type CountBy = z.infer<typeof CountBy>;

export const EventsAround = z.strictObject({
  host: z.string().trim().min(1).optional(),
  user: z.string().trim().min(1).optional(),
  time: IsoTime,
  before_minutes: z.number().min(0).max(10_080).default(15),
  after_minutes: z.number().min(0).max(10_080).default(15),
  limit: z.number().int().min(1).max(1000).default(100),
});
export type EventsAround = z.input<typeof EventsAround>;

export const ProcessTreeQuery = z
  .strictObject({
    host: z.string().trim().min(1),
    process_guid: z.string().trim().min(1).optional(),
    process_id: z.union([z.string().trim().min(1), z.number().int().min(0)]).transform(String).optional(),
    time: IsoTime.optional(),
  })
  .refine((q) => q.process_guid !== undefined || q.process_id !== undefined, {
    message: "give process_guid or process_id",
    path: ["process_guid"],
  });
export type ProcessTreeQuery = z.input<typeof ProcessTreeQuery>;

export const Before = IsoTime;

export { parseOrThrow } from "../core/index.js";

const Cursor = z.strictObject({ o: z.enum(["asc", "desc"]), t: z.string().min(1), i: z.string().min(1) });
export type Cursor = z.infer<typeof Cursor>;

/** Opaque to callers: the last (time, id) of a page and the order it was read in. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url");
}

export function decodeCursor(text: string, order: "asc" | "desc"): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const result = Cursor.safeParse(parsed);
  if (!result.success) throw new ValidationError("invalid event query", [{ path: "cursor", message: "not a cursor from a previous page" }]);
  if (result.data.o !== order) {
    throw new ValidationError("invalid event query", [{ path: "cursor", message: `cursor was made for order "${result.data.o}"` }]);
  }
  return result.data;
}

export interface TextTerm {
  words: string[];
  prefix: boolean;
}

/**
 * User text → terms that must all appear: a quoted part is a phrase, any other whitespace-separated part is
 * a phrase of its own words; a trailing `*` makes the last word a prefix. Everything else is literal text.
 */
export function textTerms(text: string, split: (value: string) => string[]): TextTerm[] {
  const terms: TextTerm[] = [];
  for (const match of text.matchAll(/"([^"]*)"?|(\S+)/g)) {
    const part = match[1] ?? match[2] ?? "";
    const found = split(part);
    if (found.length === 0) continue;
    const prefix = match[2] !== undefined && /[\p{L}\p{N}]\*+$/u.test(part);
    terms.push({ words: found, prefix });
    if (terms.length >= 32) break;
  }
  return terms;
}
