import { existsSync } from "node:fs";
import path from "node:path";

// Test helper (never built): where the reference data sits. Tests and benchmarks of every domain read it.

/** The reference data beside the project (`../shared`), as CI lays it out; tests read it, never copy it. */
export const SHARED = path.resolve(import.meta.dirname, "../../../shared");

export function sharedPath(...parts: string[]): string {
  const full = path.join(SHARED, ...parts);
  if (!existsSync(full)) throw new Error(`reference data missing: ${full} (../shared must sit beside the project)`);
  return full;
}
