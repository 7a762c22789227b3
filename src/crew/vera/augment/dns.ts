import { toDnsLookup, type StoredEvent } from "../../../events/index.js";
import { uniqueCaseless } from "../../assessment/text.js";
import type { Augmentation, DnsLookup, PartQuery } from "../schema.js";
import { AUGMENT_CAPS, AUGMENT_WINDOW } from "./caps.js";
import { dedupe, missingFor, primaryHosts, search, shift, type AugmentContext } from "./context.js";

// DNS history: who looked up the case's domains (and their subdomains) in the hours before.

export async function dnsPart(ctx: AugmentContext): Promise<Augmentation["dns_history"]> {
  const queries: PartQuery[] = [];
  const found: StoredEvent[] = [];
  let truncated = false;
  const from = shift(ctx.first, -AUGMENT_WINDOW.dns_history_hours * 60);
  const to = shift(ctx.last, AUGMENT_WINDOW.after_minutes);
  const limit = AUGMENT_CAPS.dnsLookups;
  const domains = ctx.entities.domains.slice(0, 6);
  for (const domain of domains) {
    for (const name of ["QueryName", "dns.question.name", "query", "dns.rrname"]) {
      // A "*" in an eq filter is a wildcard: the domain itself and every subdomain (checked again below).
      const page = await search(ctx, queries, { filters: [{ field: name, value: `*${domain}` }], from, to, limit });
      found.push(...page.events);
      truncated ||= page.more;
    }
  }
  const lookups = dedupe(found)
    .map(toDnsLookup)
    .filter((l): l is DnsLookup => l !== null)
    .filter((l) => domains.some((d) => l.query.toLowerCase() === d.toLowerCase() || l.query.toLowerCase().endsWith(`.${d.toLowerCase()}`)));
  if (lookups.length > limit) truncated = true;
  const summary = domains.map((domain) => {
    const hits = lookups.filter((l) => l.query.toLowerCase() === domain.toLowerCase() || l.query.toLowerCase().endsWith(`.${domain.toLowerCase()}`));
    return {
      domain,
      lookups: hits.length,
      hosts: uniqueCaseless(hits.map((h) => h.host)).slice(0, 20),
      first: hits[0]?.time ?? null,
      last: hits[hits.length - 1]?.time ?? null,
    };
  });
  const missing: string[] = [];
  if (domains.length && lookups.length === 0) {
    const host = primaryHosts(ctx)[0] ?? null;
    const why = missingFor(ctx, host, "dns_logs", `DNS lookups of ${domains.join(", ")} in the ${AUGMENT_WINDOW.dns_history_hours}h before`, 0);
    if (why) missing.push(why);
  }
  return { queries, missing_telemetry: missing, truncated, lookups: lookups.slice(0, limit), domains: summary };
}
