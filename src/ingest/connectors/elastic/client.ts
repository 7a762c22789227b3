import { z } from "zod";
import { advanceCheckpoint, isSeen } from "../checkpoint.js";
import { commonSettings } from "../common.js";
import { ConnectorHttpError, requestWithRetry, responseJson } from "../http.js";
import type { Checkpoint, Connector, PullContext, PullResult } from "../types.js";
import { DEFAULT_SEVERITY_MAP, SeverityMapInput, alertId, alertTimestamp, elasticHitToAlert, type ElasticHit } from "./mapping.js";

export const WORKFLOW_STATUSES = ["open", "acknowledged", "closed"] as const;

/** Settings of one Elastic Security connector (an entry of `connectors.sources` with `kind: elastic`). */
export const ElasticSettings = z
  .strictObject({
    ...commonSettings("elastic"),
    /** The Elasticsearch base URL (not Kibana), e.g. https://es.example:9200. */
    url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }),
    /** An API key: the encoded value Kibana shows, or `id:api_key` (encoded here). Wins over basic auth. */
    api_key: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** The space's alert alias; `.alerts-security.alerts-*` reads every space. */
    index: z.string().min(1).default(".alerts-security.alerts-default"),
    page_size: z.coerce.number().int().min(1).max(10_000).default(500),
    /**
     * Only alerts in these workflow statuses when pulled ([] = all). Default open + acknowledged: an alert
     * an analyst already closed in Kibana is not triaged again.
     */
    workflow_statuses: z.array(z.enum(WORKFLOW_STATUSES)).default(["open", "acknowledged"]),
    /** Building-block alerts are inputs of other rules, hidden in Kibana's alert table by default. */
    include_building_blocks: z.boolean().default(false),
    /** Page inside a point in time (a consistent view for the whole run) instead of the live index. */
    point_in_time: z.boolean().default(false),
    /** How long Elasticsearch keeps the point in time between two pages. */
    keep_alive: z.string().regex(/^\d+(ms|s|m|h)$/, "expected a duration such as 1m").default("1m"),
    severity_map: SeverityMapInput.default(DEFAULT_SEVERITY_MAP),
  })
  .superRefine((settings, ctx) => {
    if (settings.api_key) return;
    if (!settings.username) ctx.addIssue({ code: "custom", path: ["username"], message: "set api_key, or username and password" });
    if (!settings.password) ctx.addIssue({ code: "custom", path: ["password"], message: "set api_key, or username and password" });
  });
export type ElasticSettings = z.output<typeof ElasticSettings>;

const SearchResponse = z.object({
  pit_id: z.string().optional(),
  hits: z.object({
    hits: z.array(z.looseObject({ _id: z.string(), _index: z.string().optional(), _source: z.unknown(), sort: z.array(z.unknown()).optional() })),
  }),
});
const PitResponse = z.object({ id: z.string().min(1) });

/** Where a run stands inside the vendor: the last hit's sort values and the point in time they belong to. */
export interface ElasticCursor {
  after: unknown[] | null;
  pit: string | null;
}

export function parseCursor(cursor: unknown): ElasticCursor {
  if (Array.isArray(cursor)) return { after: cursor, pit: null };
  if (cursor && typeof cursor === "object") {
    const { after, pit } = cursor as { after?: unknown; pit?: unknown };
    return { after: Array.isArray(after) ? after : null, pit: typeof pit === "string" ? pit : null };
  }
  return { after: null, pit: null };
}

/** The `Authorization` header value; its credential part is also a secret to redact. */
export function authorization(settings: Pick<ElasticSettings, "api_key" | "username" | "password">): string {
  if (settings.api_key) {
    const key = settings.api_key.trim();
    // An encoded key is base64 (never a colon); `id:api_key` is what the create-API-key response holds.
    return `ApiKey ${key.includes(":") ? Buffer.from(key).toString("base64") : key}`;
  }
  return `Basic ${Buffer.from(`${settings.username ?? ""}:${settings.password ?? ""}`).toString("base64")}`;
}

export const SORT_FIELDS = ["@timestamp", "kibana.alert.uuid"] as const;

/**
 * The `_search` body for one page (exported so tests and docs can show the exact request). `after`
 * is the search_after to send (null on a run's first page, which re-queries from the high-water mark).
 */
export function searchBody(
  settings: Pick<ElasticSettings, "page_size" | "workflow_statuses" | "include_building_blocks">,
  checkpoint: Checkpoint,
  after: unknown[] | null,
  pit?: { id: string; keep_alive: string },
) {
  const filter: unknown[] = [];
  if (checkpoint.time) filter.push({ range: { "@timestamp": { gte: checkpoint.time, format: "strict_date_optional_time" } } });
  if (settings.workflow_statuses.length) filter.push({ terms: { "kibana.alert.workflow_status": settings.workflow_statuses } });
  const mustNot = settings.include_building_blocks ? [] : [{ exists: { field: "kibana.alert.building_block_type" } }];
  const bool = { ...(filter.length ? { filter } : {}), ...(mustNot.length ? { must_not: mustNot } : {}) };
  return {
    // On a fresh run the hits already committed at the high-water mark come back first: ask for them on top.
    size: settings.page_size + (after ? 0 : checkpoint.seen.length),
    track_total_hits: false,
    query: Object.keys(bool).length ? { bool } : { match_all: {} },
    sort: SORT_FIELDS.map((name) => ({ [name]: { order: "asc" } })),
    ...(pit ? { pit } : {}),
    ...(after ? { search_after: after } : {}),
  };
}

export interface ElasticDeps {
  fetch?: typeof fetch;
  redact?: (text: string) => string;
}

export function createElasticConnector(settings: ElasticSettings, deps: ElasticDeps = {}): Connector {
  const send = deps.fetch ?? fetch;
  const redact = deps.redact ?? ((text: string) => text);
  const base = settings.url.replace(/\/+$/, "");
  const index = encodeURIComponent(settings.index);
  const headers = { authorization: authorization(settings), "content-type": "application/json", accept: "application/json" };
  const label = `elastic ${settings.name}`;

  async function call(method: string, path: string, body: unknown, ctx: PullContext, maxAttempts = settings.max_attempts): Promise<Response> {
    return requestWithRetry(
      () => send(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(settings.timeout_seconds * 1000) }),
      { what: `${label}: ${method} ${decodeURIComponent(path.split("?")[0]!)}`, clock: ctx.clock, sleep: ctx.sleep, redact, retry: { maxAttempts } },
    );
  }

  async function openPit(ctx: PullContext): Promise<string> {
    const response = await call("POST", `/${index}/_pit?keep_alive=${settings.keep_alive}`, undefined, ctx);
    const parsed = PitResponse.safeParse(await responseJson(response).catch(() => null));
    if (!parsed.success) throw new Error(`${label}: opening a point in time answered without an id`);
    return parsed.data.id;
  }

  async function closePit(id: string, ctx: PullContext): Promise<void> {
    // It expires after keep_alive anyway: a failed close must not fail a page that is otherwise good.
    try {
      await call("DELETE", "/_pit", { id }, ctx, 1);
    } catch {
      /* expired or already closed */
    }
  }

  async function pull(checkpoint: Checkpoint, ctx: PullContext): Promise<PullResult> {
    const cursor = parseCursor(checkpoint.cursor);
    const resume = cursor.after && (!ctx.firstPage || checkpoint.overflow) ? cursor.after : null;
    // Sort values from another point in time (or none) end with a stale or missing implicit `_shard_doc`
    // tiebreaker: the explicit keys (timestamp, uuid) are unique, so any value does.
    const foreignAfter = (values: unknown[]) => [...values.slice(0, SORT_FIELDS.length), 0];
    let after = resume && !settings.point_in_time && resume.length > SORT_FIELDS.length ? resume.slice(0, SORT_FIELDS.length) : resume;
    let pit: string | null = null;
    if (settings.point_in_time) {
      pit = !ctx.firstPage && cursor.pit ? cursor.pit : await openPit(ctx);
      if (after && pit !== cursor.pit) after = foreignAfter(after);
    }
    let body = searchBody(settings, checkpoint, after, pit ? { id: pit, keep_alive: settings.keep_alive } : undefined);
    let response: Response;
    try {
      // A point-in-time search names no index: the point in time carries it.
      response = await call("POST", pit ? "/_search" : `/${index}/_search`, body, ctx);
    } catch (error) {
      // The point in time expired between two pages (a slow commit, a long pause): reopen once and go on.
      if (!(pit && pit === cursor.pit && error instanceof ConnectorHttpError && error.status === 404)) throw error;
      pit = await openPit(ctx);
      after = after ? foreignAfter(after) : null;
      body = searchBody(settings, checkpoint, after, { id: pit, keep_alive: settings.keep_alive });
      response = await call("POST", "/_search", body, ctx);
    }
    const parsed = SearchResponse.safeParse(await responseJson(response).catch(() => null));
    if (!parsed.success) throw new Error(`${label}: Elasticsearch answered without hits.hits (not a _search response)`);
    const hits = parsed.data.hits.hits as ElasticHit[];
    const fresh: { hit: ElasticHit; id: string; time: string | null }[] = [];
    for (const hit of hits) {
      const id = alertId(hit);
      const time = alertTimestamp(hit._source);
      if (time && isSeen(checkpoint, id, time)) continue;
      fresh.push({ hit, id, time });
    }
    const more = hits.length === body.size && hits.length > 0;
    const nextPit = pit ? (parsed.data.pit_id ?? pit) : null;
    if (nextPit && !more) await closePit(nextPit, ctx);
    const next = advanceCheckpoint(
      checkpoint,
      fresh.filter((f): f is { hit: ElasticHit; id: string; time: string } => f.time !== null).map((f) => ({ id: f.id, time: f.time })),
      { after: hits.at(-1)?.sort ?? cursor.after, pit: more ? nextPit : null } satisfies ElasticCursor,
    );
    return {
      alerts: fresh.map((f) => elasticHitToAlert(f.hit, settings.severity_map)),
      checkpoint: next,
      more,
      fetched: fresh.length,
    };
  }

  return { name: settings.name, kind: "elastic", intervalSeconds: settings.interval_seconds, pull };
}
