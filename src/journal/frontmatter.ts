import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { z } from "zod";
import { ValidationError, issuesOf } from "../core/index.js";

/**
 * The post header (crew.md "Shifts and the journal"), in this order. The first nine keys are the crew
 * contract; the last four let a reader sort and filter without opening the body.
 */
export const POST_KEYS = [
  "author",
  "tier",
  "case_ids",
  "shift",
  "pubDatetime",
  "title",
  "description",
  "tags",
  "disposition",
  "schema_version",
  "priority",
  "severity",
  "confidence",
] as const;

const IsoDatetime = z
  .union([z.string(), z.date()])
  .transform((value, ctx) => {
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) {
      ctx.addIssue({ code: "custom", message: "an ISO-8601 date-time" });
      return z.NEVER;
    }
    return date.toISOString();
  });

export const PostFrontmatter = z.object({
  author: z.string().min(1),
  tier: z.number().int().min(0),
  case_ids: z.array(z.string()),
  shift: z.string().min(1),
  pubDatetime: IsoDatetime,
  title: z.string().min(1),
  description: z.string().default(""),
  tags: z.array(z.string()).default([]),
  disposition: z.string().min(1),
  schema_version: z.number().int().nullable().default(null),
  priority: z.string().nullable().default(null),
  severity: z.string().nullable().default(null),
  confidence: z.number().nullable().default(null),
});
export type PostFrontmatter = z.infer<typeof PostFrontmatter>;

export interface ParsedPost {
  frontmatter: PostFrontmatter;
  body: string;
}

/** Markdown with YAML frontmatter; keys always in POST_KEYS order so a rewrite is byte-identical. */
export function formatPost(frontmatter: PostFrontmatter, body: string): string {
  const ordered: Record<string, unknown> = {};
  for (const key of POST_KEYS) ordered[key] = frontmatter[key];
  const yaml = stringifyYaml(ordered, { lineWidth: 0 });
  return `---\n${yaml}---\n\n${body.trimEnd()}\n`;
}

const FRONTMATTER = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n?---[ \t]*(?:\r?\n|$)([\s\S]*)$/;

/** Reads a post; `source` names it in errors. Throws a ValidationError naming each bad key. */
export function parsePost(text: string, source = "post"): ParsedPost {
  const match = FRONTMATTER.exec(text);
  if (!match) throw new ValidationError(`${source}: no YAML frontmatter`, [{ path: source, message: "a post starts with --- frontmatter ---" }]);
  let data: unknown;
  try {
    data = parseYaml(match[1]!);
  } catch (error) {
    throw new ValidationError(`${source}: unreadable frontmatter`, [{ path: source, message: String((error as Error).message) }]);
  }
  const result = PostFrontmatter.safeParse(data ?? {});
  if (!result.success) throw new ValidationError(`${source}: invalid frontmatter`, issuesOf(result.error, source));
  return { frontmatter: result.data, body: match[2]! };
}
