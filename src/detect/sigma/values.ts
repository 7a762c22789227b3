// The types a compiled detection works on, and how a field's value is read from an event.

export type SigmaEvent = Record<string, unknown>;
export type Matcher = (event: SigmaEvent) => boolean;

export type CompileOptions = {
  /** Values for `|expand` placeholders, keyed by name without the percent signs (e.g. `Administrators`). */
  placeholders?: Record<string, readonly string[]>;
};

export const NEVER: Matcher = () => false;
export const ALWAYS: Matcher = () => true;

/** Direct key first (flattened events such as `Event.EventData` keys), then a dotted path into nested objects. */
export function fieldValue(event: SigmaEvent, name: string): unknown {
  if (Object.hasOwn(event, name)) return event[name];
  if (!name.includes(".")) return undefined;
  let current: unknown = event;
  for (const part of name.split(".")) {
    if (typeof current !== "object" || current === null || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

export function scalarText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return undefined;
}

/** A test on one scalar event value; arrays in the event match when any element matches. */
export type ValueTest = (value: unknown) => boolean;

export function anyElement(test: ValueTest): ValueTest {
  return (value) => (Array.isArray(value) ? value.some((v) => test(v)) : test(value));
}

export function numberOf(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value.trim());
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}
