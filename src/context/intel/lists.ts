import type { Indicator } from "../../core/index.js";
import { networkKey } from "./network.js";
import type { IntelCandidate, IntelParse } from "./store.js";

const HASH = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}\.?$/i;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** What a bare value is: an address or network, a URL, a hash, an e-mail address or a domain; null when none. */
export function detectIndicatorType(value: string): Indicator["type"] | null {
  if (networkKey(value) !== null) return "ip";
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return "url";
  if (HASH.test(value)) return "file_hash";
  if (EMAIL.test(value)) return "email";
  if (DOMAIN.test(value)) return "domain";
  return null;
}

export interface ListOptions {
  verdict?: Indicator["verdict"];
  /** Stamped as first/last seen on every value (the list's own date, when it has one). */
  seen?: string;
  expires_at?: string;
  tags?: string[];
}

/**
 * A plain list: one value a line, its type detected; `#` starts a comment (whole-line or trailing), blank
 * lines are ignored. A line that is none of the supported types is an error naming the line.
 */
export function parsePlainList(text: string, options: ListOptions = {}): IntelParse {
  const candidates: IntelCandidate[] = [];
  const issues: IntelParse["issues"] = [];
  text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .forEach((line, index) => {
      const value = line.replace(/(^|\s)#.*$/, "").trim();
      if (!value) return;
      const path = `line ${index + 1}`;
      const type = detectIndicatorType(value);
      if (!type) {
        issues.push({ path, message: `not an IP address, network, URL, hash, e-mail address or domain: "${value}"` });
        return;
      }
      candidates.push({
        path,
        record: {
          type,
          value,
          verdict: options.verdict,
          first_seen: options.seen,
          last_seen: options.seen,
          expires_at: options.expires_at,
          tags: options.tags,
        },
      });
    });
  return { candidates, issues, skipped: [] };
}
