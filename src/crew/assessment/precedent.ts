import { PRECEDENT_MIN_BENIGN, type Enrichment } from "../../core/index.js";

/**
 * Analyst precedent as TORA weighs it (crew.md steps 3–4), from the enrichment's `precedent` section
 * (context/precedent.ts). A benign precedent is a shape — the same source and rule on the same host, else on
 * a host of the same role — that analysts judged a false positive at least PRECEDENT_MIN_BENIGN times within
 * the suppression age limit, with no malicious disposition on any of the alert's shapes. A confirmed-attack
 * precedent is any malicious disposition on one of them. "Seen before" alone (history counts, a last
 * disposition) is neither.
 */
export { PRECEDENT_MIN_BENIGN };

type Shape = NonNullable<Enrichment["precedent"]>["shapes"][number];

export interface PrecedentFacts {
  /** The shape that carries a benign precedent (host preferred to role), or null. */
  benign: Shape | null;
  /** The shape with the most malicious dispositions, or null when none has any. */
  confirmed: Shape | null;
  /** Any disposition at all on the alert's shapes: signal on the history axis. */
  any: boolean;
}

export function precedentFacts(enrichment: Enrichment): PrecedentFacts {
  const shapes = enrichment.precedent?.shapes ?? [];
  let confirmed: Shape | null = null;
  for (const s of shapes) if (s.malicious > 0 && (!confirmed || s.malicious > confirmed.malicious)) confirmed = s;
  const benign = confirmed ? null : (["host", "role"] as const).map((by) => shapes.find((s) => s.by === by && s.benign >= PRECEDENT_MIN_BENIGN)).find(Boolean) ?? null;
  return { benign, confirmed, any: shapes.some((s) => s.benign + s.malicious > 0) };
}

export function describeShape(s: Shape): string {
  const where = s.by === "host" ? `on host ${s.value}` : s.by === "role" ? `on hosts of role ${s.value}` : `from ${s.value}`;
  return `${s.source} rule ${s.rule} ${where}`;
}

export function describeBenign(s: Shape, maxAgeDays: number): string {
  return `analysts judged ${describeShape(s)} a false positive ${s.benign} time(s) within ${maxAgeDays} days (last ${s.last_benign_at ?? "unknown"}), never malicious`;
}

export function describeConfirmed(s: Shape): string {
  return `analysts confirmed ${describeShape(s)} as an attack ${s.malicious} time(s) (last ${s.last_malicious_at ?? "unknown"}), against ${s.benign} false positive(s)`;
}
