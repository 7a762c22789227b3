import { z } from "zod";
import { IndicatorType, type Indicator } from "../../core/index.js";
import { detectIndicatorType, indicatorKey, lookupIndicator, matchIntel } from "../../context/index.js";
import { READERS, defineTool } from "./define.js";
import { ToolError } from "./tool.js";

const DAY_MS = 86_400_000;

export const lookupIndicatorTool = defineTool({
  name: "lookup_indicator",
  description:
    "Threat intelligence on one value (IP address, domain, URL, file hash, e-mail address): the strongest verdict and each matching " +
    "indicator (a domain also matches through its parent domains, an address through networks containing it) with its verdict, " +
    "source count out of total, feeds, category, malware, age in days, expiry and whether it had expired at the time asked.",
  input: z.object({
    value: z.string().trim().min(1).max(2048).describe("The value to look up"),
    type: IndicatorType.optional().describe("Its type; detected from the value when left out"),
    time: z.string().trim().min(1).max(64).optional().describe("ISO-8601 time to judge expiry and age at (default: now)"),
  }),
  writes: false,
  agents: READERS,
  async run({ value, type, time }, ctx) {
    const kind = type ?? detectIndicatorType(value);
    if (!kind) throw new ToolError("invalid_arguments", "type: could not tell the type of this value; give type");
    const at = time ?? ctx.clock.now().toISOString();
    if (Number.isNaN(Date.parse(at))) throw new ToolError("invalid_arguments", "time: must be an ISO-8601 time");
    const key = indicatorKey(kind, value);
    const intel: Record<Indicator["type"], string[]> = { ip: [], domain: [], url: [], file_hash: [], email: [] };
    intel[kind].push(key);
    const result = await matchIntel(
      ctx.db,
      { intel, sharing: { ip: [], domain: [], url: [], file_hash: [] }, hostIps: [], srcIp: null, user: null },
      new Date(at).toISOString(),
    );
    const matches = [];
    for (const match of result.threat_intel.matches) {
      const record = await lookupIndicator(ctx.db, match.type, match.indicator);
      matches.push({
        ...match,
        first_seen: record?.first_seen ?? null,
        last_seen: record?.last_seen ?? null,
        expires_at: record?.expires_at ?? null,
        tags: record?.tags ?? [],
        confidence: record?.confidence ?? null,
      });
    }
    // An exact record that had expired by then is reported as expired, not dropped: stale intel is a finding too.
    const exact = await lookupIndicator(ctx.db, kind, key);
    const expired =
      exact?.expires_at && Date.parse(exact.expires_at) < Date.parse(at)
        ? {
            indicator: exact.value,
            verdict: exact.verdict,
            source_count: exact.source_count,
            source_total: exact.source_total,
            expires_at: exact.expires_at,
            expired_days: Math.floor((Date.parse(at) - Date.parse(exact.expires_at)) / DAY_MS),
          }
        : null;
    return { value, type: kind, as_of: new Date(at).toISOString(), verdict: result.threat_intel.verdict, matches, expired_match: expired };
  },
});
