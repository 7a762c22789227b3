import type { Alert, Observable } from "../core/index.js";

/** Values that compare case-insensitively are stored lower-cased so that cases match on them. */
function normalise(type: Observable["type"], value: string): string {
  const trimmed = value.trim();
  return type === "url" ? trimmed : trimmed.toLowerCase();
}

/**
 * Every typed observable of an alert: the ones the sender listed, then those its fields name.
 * One per type and value (the first role wins), as the observables table keys them.
 */
export function alertObservables(alert: Alert): Observable[] {
  const out = new Map<string, Observable>();
  const add = (type: Observable["type"], value: string | null | undefined, role?: Observable["role"]) => {
    if (!value?.trim()) return;
    const normalised = normalise(type, value);
    const key = `${type}\u0000${normalised}`;
    if (out.has(key)) return;
    out.set(key, role ? { type, value: normalised, role } : { type, value: normalised });
  };
  for (const o of alert.observables) add(o.type, o.value, o.role);
  add("host", alert.host?.name, "target");
  for (const ip of alert.host?.ip ?? []) add("ip", ip, "target");
  add("user", alert.user?.name, "actor");
  add("ip", alert.src?.ip, "src");
  add("host", alert.src?.hostname, "src");
  add("domain", alert.src?.domain, "src");
  add("ip", alert.dst?.ip, "dst");
  add("host", alert.dst?.hostname, "dst");
  add("domain", alert.dst?.domain, "dst");
  add("url", alert.dst?.url, "dst");
  add("process", alert.process?.name, "other");
  add("file_hash", alert.process?.sha256, "other");
  add("email", alert.email?.sender, "actor");
  for (const recipient of alert.email?.recipients ?? []) add("email", recipient, "target");
  for (const link of alert.email?.links ?? []) add("url", link, "other");
  return [...out.values()];
}
