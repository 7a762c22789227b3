import { createHash, randomUUID } from "node:crypto";

export function newId(): string {
  return randomUUID();
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** JSON with sorted keys, so that equal content always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    // A null prototype keeps a "__proto__" key as data, so it is hashed like any other key.
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function formatCaseId(day: string, number: number, agent = "TORA"): string {
  return `${agent}-${day}-${String(number).padStart(4, "0")}`;
}

/** The same case seen by another tier: TORA-20261124-0007 → VERA-20261124-0007. */
export function caseIdForTier(caseId: string, agent: string): string {
  return caseId.replace(/^[A-Z]+-/, `${agent}-`);
}
