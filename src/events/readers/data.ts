// Reading an event's data fields the way the event store does: a flat key ("source.ip" as one key) wins over
// the nested path; empty values and "-" count as absent.

/** A data field: a flat key ("source.ip" as one key) wins over the nested path, as in the event store. */
export function eventField(data: Record<string, unknown>, ...names: string[]): unknown {
  for (const name of names) {
    let value: unknown;
    if (Object.hasOwn(data, name)) value = data[name];
    else {
      let current: unknown = data;
      for (const part of name.split(".")) {
        if (!current || typeof current !== "object" || Array.isArray(current) || !Object.hasOwn(current, part)) {
          current = undefined;
          break;
        }
        current = (current as Record<string, unknown>)[part];
      }
      value = current;
    }
    if (value === undefined || value === null || value === "" || value === "-") continue;
    return value;
  }
  return undefined;
}

/** The first present field as text (a number or boolean as its string, an array's first string). */
export function eventText(data: Record<string, unknown>, ...names: string[]): string | null {
  const value = eventField(data, ...names);
  if (typeof value === "string") return value.trim() || null;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value) && value.length) return typeof value[0] === "string" ? value[0] : null;
  return null;
}

/** The first present field as a number (a string of digits counts). */
export function eventNumber(data: Record<string, unknown>, ...names: string[]): number | null {
  const value = eventField(data, ...names);
  const n = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isFinite(n) ? n : null;
}
