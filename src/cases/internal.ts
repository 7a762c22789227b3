export { inTransaction, isPostgres } from "../store/index.js";
/** Parses a boundary value, turning zod issues into a field-level ValidationError (core's `parseOrThrow`). */
export { parseOrThrow as parseInput } from "../core/index.js";


/** Times are compared as text in SQL, so every stored time has the one shape of toISOString(). */
export function normaliseTime(value: string | Date): string {
  return new Date(value).toISOString();
}
