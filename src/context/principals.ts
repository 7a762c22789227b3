import type { Alert } from "../core/index.js";

/**
 * Windows built-in local principals. They are the operating system acting for itself, not people or
 * accounts anyone provisions, so no identity directory holds them: listing `identity.*` as missing for
 * them would name a gap no enrichment can ever fill.
 */
const BUILTIN_AUTHORITY = "NT AUTHORITY";
const BUILTIN_NAMES: Record<string, string> = {
  system: "SYSTEM",
  localsystem: "SYSTEM",
  "local system": "SYSTEM",
  "local service": "LOCAL SERVICE",
  localservice: "LOCAL SERVICE",
  "network service": "NETWORK SERVICE",
  networkservice: "NETWORK SERVICE",
  // Their well-known SIDs, as some sensors report them.
  "s-1-5-18": "SYSTEM",
  "s-1-5-19": "LOCAL SERVICE",
  "s-1-5-20": "NETWORK SERVICE",
};

/**
 * The alert's user as `NT AUTHORITY\NAME` when it is a built-in principal, else null. Anything under
 * the NT AUTHORITY domain counts; a bare SYSTEM / LOCAL SERVICE / NETWORK SERVICE counts only without
 * a domain of its own (`CORP\system` would be a directory account that happens to share the name).
 */
export function builtinPrincipal(user: Alert["user"]): string | null {
  if (!user) return null;
  let name = user.name.trim();
  let domain = user.domain?.trim() ?? "";
  const slash = name.lastIndexOf("\\");
  if (slash >= 0) {
    domain = name.slice(0, slash).trim();
    name = name.slice(slash + 1).trim();
  }
  if (!name) return null;
  if (domain.toUpperCase() === BUILTIN_AUTHORITY) return `${BUILTIN_AUTHORITY}\\${BUILTIN_NAMES[name.toLowerCase()] ?? name.toUpperCase()}`;
  if (domain === "" && BUILTIN_NAMES[name.toLowerCase()]) return `${BUILTIN_AUTHORITY}\\${BUILTIN_NAMES[name.toLowerCase()]}`;
  return null;
}
