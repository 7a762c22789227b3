/**
 * Alert text (titles, command lines, subjects) is written by whoever caused the alert. It is only ever
 * quoted as data — one line, bounded, in typographic quotes — so it can be read but never steers anything.
 */
export function quote(text: string | null | undefined, max = 120): string {
  if (!text) return "“”";
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/\s+/g, " ").trim();
  const bounded = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return `“${bounded.replace(/[“”]/g, '"')}”`;
}

/** "a, b, c +2 more" */
export function listOf(items: readonly string[], max = 4): string {
  if (items.length === 0) return "none";
  const shown = items.slice(0, max).join(", ");
  return items.length > max ? `${shown} +${items.length - max} more` : shown;
}

/** 2026-11-24T10:02:13.000Z → 2026-11-24 10:02Z */
export function shortTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace("T", " ")}Z`;
}

/** The same instant shifted, for "within 1h after 10:02" windows. */
export function addMinutes(iso: string, minutes: number): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Date(date.getTime() + minutes * 60_000).toISOString();
}

export function uniqueCaseless(values: Iterable<string | null | undefined>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const value of values) {
    if (!value) continue;
    const key = value.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(value);
  }
  return out;
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(text: string): number {
  if (!text) return 0;
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
