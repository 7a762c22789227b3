import type { Decision } from "../core/index.js";

/** The Markdown pieces every post shares: escaping, the signature line, short forms of text. */
/** A table cell from attacker-controlled text: one line, pipes escaped. */
export function cell(text: string): string {
  return oneLine(text).replace(/\|/g, "\\|");
}

export function utcDate(iso: string): string {
  return new Date(iso).toISOString().slice(0, 10);
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

export function firstSentence(text: string): string {
  const line = oneLine(text);
  const match = /^(.+?[.!?])(?:\s|$)/.exec(line);
  return match ? match[1]! : line;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

export function unique(values: string[]): string[] {
  return [...new Set(values.filter(Boolean))];
}

/** An inline code span that survives backticks in the value (alert content is attacker-controlled). */
export function code(value: string): string {
  const text = oneLine(value);
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

export function fence(text: string, lang = ""): string {
  const longest = Math.max(2, ...[...text.matchAll(/^ {0,3}(`{3,})/gm)].map((m) => m[1]!.length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}${lang}\n${text}\n${ticks}`;
}

/** A path segment that cannot climb out of its folder. */
export function safeSegment(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
  return cleaned || "_";
}

export const PRIORITY_MEANING: Record<string, string> = {
  P1: "immediate",
  P2: "within the shift",
  P3: "next available",
  P4: "when time allows",
};

export function signature(decision: Decision): string[] {
  return [
    "---",
    "",
    `*${decision.agent}, tier ${decision.tier} · decision ${code(decision.id)} · analyst ${code(decision.analyst)} · ` +
      `schema v${decision.schema_version} · ${Math.round(decision.duration_ms)} ms*`,
  ];
}
