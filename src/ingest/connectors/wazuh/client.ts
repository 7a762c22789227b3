import { z } from "zod";
import { advanceCheckpoint, isSeen } from "../checkpoint.js";
import { commonSettings } from "../common.js";
import { requestWithRetry, responseJson } from "../http.js";
import type { Checkpoint, Connector, PullContext, PullResult } from "../types.js";
import { DEFAULT_SEVERITY_LEVELS, SeverityLevelsInput, wazuhHitToAlert, wazuhTime, type SeverityLevels, type WazuhHit } from "./mapping.js";

/** Settings of one Wazuh connector (an entry of `connectors.sources` with `kind: wazuh`). */
export const WazuhSettings = z.strictObject({
  ...commonSettings("wazuh"),
  /** The Wazuh indexer (OpenSearch) base URL, e.g. https://wazuh-indexer:9200. */
  url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }),
  username: z.string().min(1),
  password: z.string().min(1),
  index: z.string().min(1).default("wazuh-alerts-*"),
  page_size: z.coerce.number().int().min(1).max(1000).default(500),
  /** A field with one value per alert, second sort key for search_after (Wazuh's own alert id). */
  tiebreaker: z.string().min(1).default("id"),
  /** Alerts below this rule level are not pulled. */
  min_level: z.coerce.number().int().min(0).max(15).default(0),
  severity_levels: SeverityLevelsInput.default(DEFAULT_SEVERITY_LEVELS),
});
export type WazuhSettings = z.output<typeof WazuhSettings>;

const SearchResponse = z.object({
  hits: z.object({
    hits: z.array(z.looseObject({ _id: z.string(), _index: z.string().optional(), _source: z.unknown(), sort: z.array(z.unknown()).optional() })),
  }),
});

export interface WazuhDeps {
  fetch?: typeof fetch;
  redact?: (text: string) => string;
}

/** The basic-auth header value; also a secret to redact. */
export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

/** The `_search` body for one page (exported so tests and docs can show the exact request). */
export function searchBody(settings: Pick<WazuhSettings, "page_size" | "tiebreaker" | "min_level">, checkpoint: Checkpoint, firstPage: boolean) {
  const useCursor = Array.isArray(checkpoint.cursor) && (!firstPage || checkpoint.overflow);
  const filter: unknown[] = [];
  if (checkpoint.time) filter.push({ range: { timestamp: { gte: checkpoint.time } } });
  if (settings.min_level > 0) filter.push({ range: { "rule.level": { gte: settings.min_level } } });
  return {
    // On a fresh run the hits already committed at the high-water mark come back first: ask for them on top.
    size: settings.page_size + (useCursor ? 0 : checkpoint.seen.length),
    track_total_hits: false,
    query: filter.length ? { bool: { filter } } : { match_all: {} },
    sort: [{ timestamp: { order: "asc" } }, { [settings.tiebreaker]: { order: "asc" } }],
    ...(useCursor ? { search_after: checkpoint.cursor } : {}),
  };
}

export function createWazuhConnector(settings: WazuhSettings, deps: WazuhDeps = {}): Connector {
  const send = deps.fetch ?? fetch;
  const redact = deps.redact ?? ((text: string) => text);
  const table: Partial<SeverityLevels> = settings.severity_levels;
  const url = `${settings.url.replace(/\/+$/, "")}/${encodeURIComponent(settings.index)}/_search`;
  const authorization = basicAuth(settings.username, settings.password);

  async function pull(checkpoint: Checkpoint, ctx: PullContext): Promise<PullResult> {
    const body = searchBody(settings, checkpoint, ctx.firstPage);
    const response = await requestWithRetry(
      () =>
        send(url, {
          method: "POST",
          headers: { authorization, "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(settings.timeout_seconds * 1000),
        }),
      { what: `wazuh ${settings.name}: POST /${settings.index}/_search`, clock: ctx.clock, sleep: ctx.sleep, redact, retry: { maxAttempts: settings.max_attempts } },
    );
    const parsed = SearchResponse.safeParse(await responseJson(response).catch(() => null));
    if (!parsed.success) throw new Error(`wazuh ${settings.name}: the indexer answered without hits.hits (not an OpenSearch _search response)`);
    const hits = parsed.data.hits.hits as WazuhHit[];
    const fresh: { hit: WazuhHit; time: string | null }[] = [];
    for (const hit of hits) {
      const source = hit._source as { timestamp?: unknown } | null;
      const time = typeof source?.timestamp === "string" ? wazuhTime(source.timestamp) : null;
      if (time && isSeen(checkpoint, hit._id, time)) continue;
      fresh.push({ hit, time });
    }
    const last = hits.at(-1);
    const next = advanceCheckpoint(
      checkpoint,
      fresh.filter((f): f is { hit: WazuhHit; time: string } => f.time !== null).map((f) => ({ id: f.hit._id, time: f.time })),
      last?.sort,
    );
    return {
      alerts: fresh.map((f) => wazuhHitToAlert(f.hit, table)),
      checkpoint: next,
      more: hits.length === body.size && hits.length > 0,
      fetched: fresh.length,
    };
  }

  return { name: settings.name, kind: "wazuh", intervalSeconds: settings.interval_seconds, pull };
}
