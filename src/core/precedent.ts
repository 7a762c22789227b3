import type { Enrichment } from "./context.js";

/** Benign dispositions of one shape that make a precedent (crew.md step 4: at least five, none malicious). */
export const PRECEDENT_MIN_BENIGN = 5;

/**
 * Whether analysts consistently judged an alert's shape benign (crew.md step 4): its source and rule on its
 * host, or on hosts of its role, judged a false positive at least PRECEDENT_MIN_BENIGN times within the age
 * limit, and no shape of it ever judged malicious. Routine telemetry, as history knows it; TORA still decides
 * whether that closes the alert (attacker behaviour, hostile intel and forced rules come first).
 */
export function hasBenignPrecedent(precedent: Enrichment["precedent"] | null | undefined): boolean {
  const shapes = precedent?.shapes ?? [];
  if (shapes.some((s) => s.malicious > 0)) return false;
  return shapes.some((s) => (s.by === "host" || s.by === "role") && s.benign >= PRECEDENT_MIN_BENIGN);
}
