import { Indicator } from "../../../core/index.js";
import { fromJson } from "../../../store/index.js";
import type { Augmentation, PartQuery } from "../schema.js";
import { AUGMENT_CAPS } from "./caps.js";
import type { AugmentContext } from "./context.js";

// Threat actor: per malware family the intel matched, its profile and the other indicators known for it.

export async function threatActorPart(ctx: AugmentContext): Promise<Augmentation["threat_actor"]> {
  const queries: PartQuery[] = [];
  const byFamily = new Map<string, Augmentation["threat_actor"]["profiles"][number]>();
  for (const { enrichment } of ctx.alerts) {
    for (const m of enrichment.threat_intel.matches) {
      if (m.verdict === "benign") continue;
      const key = (m.associated_malware ?? `category:${m.category ?? "unknown"}`).toLowerCase();
      const profile = byFamily.get(key) ?? {
        associated_malware: m.associated_malware,
        categories: [],
        matched_indicators: [],
        max_source_count: 0,
        source_total: m.source_total,
        feeds: [],
        related_indicators: [],
      };
      if (m.category && !profile.categories.includes(m.category)) profile.categories.push(m.category);
      if (!profile.matched_indicators.includes(m.indicator)) profile.matched_indicators.push(m.indicator);
      if (m.source_count > profile.max_source_count) {
        profile.max_source_count = m.source_count;
        profile.source_total = m.source_total;
      }
      for (const feed of [m.feed, ...(m.sources ?? [])]) if (!profile.feeds.includes(feed)) profile.feeds.push(feed);
      byFamily.set(key, profile);
    }
  }
  const profiles = [...byFamily.values()].slice(0, AUGMENT_CAPS.profiles);
  let truncated = byFamily.size > AUGMENT_CAPS.profiles;
  for (const profile of profiles) {
    if (!profile.associated_malware) continue;
    const family = profile.associated_malware;
    queries.push({ source: "indicators", args: { associated_malware: family } });
    const rows = await ctx.ex
      .selectFrom("indicators")
      .select(["type", "value", "doc"])
      .where("doc", "like", `%${family.replace(/[\\%_"]/g, "")}%`)
      .orderBy("updated_at", "desc")
      .limit(200)
      .execute();
    for (const row of rows) {
      const parsed = Indicator.safeParse(fromJson(row.doc, null));
      if (!parsed.success || parsed.data.associated_malware?.toLowerCase() !== family.toLowerCase()) continue;
      if (profile.matched_indicators.some((v) => v.toLowerCase() === row.value.toLowerCase())) continue;
      if (profile.related_indicators.length >= AUGMENT_CAPS.relatedIndicators) {
        truncated = true;
        break;
      }
      profile.related_indicators.push({ type: row.type, value: row.value });
    }
  }
  return { queries, missing_telemetry: [], truncated, profiles };
}
