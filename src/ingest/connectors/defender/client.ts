import { z } from "zod";
import { commonSettings } from "../common.js";
import type { Checkpoint, Connector, PullContext, PullResult } from "../types.js";
import { DEFAULT_SEVERITY_MAP, GraphAlert, HostnameForm, SeverityMapInput, defenderAlertToGeneric, graphTime } from "./mapping.js";
import { DefenderAuthSettings, ODataPage, TokenSource, apiGet, checkNextLink, tokenSafeConnector, trimSlash } from "./oauth.js";

/** Settings of one Defender alerts connector (`connectors.sources` entry with `kind: defender`). */
export const DefenderSettings = z.strictObject({
  ...commonSettings("defender"),
  ...DefenderAuthSettings,
  graph_url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).default("https://graph.microsoft.com"),
  /** `$top` of the list request. */
  page_size: z.coerce.number().int().min(1).max(2000).default(100),
  /** `when_missing`: `GET /alerts_v2/{id}` only for list entries without `evidence`; `always`: for every new alert. */
  detail: z.enum(["always", "when_missing"]).default("when_missing"),
  /**
   * Alerts can surface in the API minutes after their createdDateTime. Each run re-queries this far
   * below the high-water mark (vendor time) and skips the ids it already committed there.
   */
  lookback_seconds: z.coerce.number().int().min(0).max(86_400).default(600),
  /** The first run (no checkpoint) asks for alerts created this many hours before now; 0 = all the API keeps. */
  initial_lookback_hours: z.coerce.number().min(0).default(24),
  /** Defender severity (unknown, informational, low, medium, high) → Nightshift severity, over the defaults. */
  severity_map: SeverityMapInput.default(DEFAULT_SEVERITY_MAP),
  hostname_form: HostnameForm.default("short"),
});
export type DefenderSettings = z.output<typeof DefenderSettings>;

export const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

export interface DefenderDeps {
  fetch?: typeof fetch;
  redact?: (text: string) => string;
}

/** Ids committed at most `lookback_seconds` below the high-water mark, with their createdDateTime. */
export const MAX_RECENT = 5000;

/**
 * The connector's own cursor (in `Checkpoint.cursor`). The list comes newest first (alerts_v2
 * documents no `$orderby`), so the high-water mark only moves when a run has read every page:
 * meanwhile `pending` holds the newest createdDateTime seen, `next` the page to resume and
 * `recent` every id committed so far, so a restart after a crash skips what it already stored.
 */
const AlertCursor = z
  .object({
    next: z.string().nullable().default(null),
    since: z.string().nullable().default(null),
    pending: z.string().nullable().default(null),
    recent: z.array(z.tuple([z.string(), z.string()])).default([]),
  })
  .catch({ next: null, since: null, pending: null, recent: [] });
export type AlertCursor = z.output<typeof AlertCursor>;

const ms = (iso: string) => Date.parse(iso);
const maxTime = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : ms(b) > ms(a) ? b : a);

/** The first request of a run: `$filter=createdDateTime ge <since>` (OData DateTimeOffset literal) and `$top`. */
export function listUrl(settings: Pick<DefenderSettings, "graph_url" | "page_size">, since: string | null): string {
  const url = new URL(`${trimSlash(settings.graph_url)}/v1.0/security/alerts_v2`);
  if (since) url.searchParams.set("$filter", `createdDateTime ge ${since}`);
  url.searchParams.set("$top", String(settings.page_size));
  return url.toString();
}

/** Where a fresh run starts: `lookback_seconds` below the mark, or the initial window on a first run. */
export function sinceFor(settings: Pick<DefenderSettings, "lookback_seconds" | "initial_lookback_hours">, checkpoint: Checkpoint, now: Date): string | null {
  if (checkpoint.time) return new Date(ms(checkpoint.time) - settings.lookback_seconds * 1000).toISOString();
  // The only use of Nightshift's clock: bootstrapping a connector that has no vendor time yet.
  return settings.initial_lookback_hours > 0 ? new Date(now.getTime() - settings.initial_lookback_hours * 3_600_000).toISOString() : null;
}

export function createDefenderConnector(settings: DefenderSettings, deps: DefenderDeps = {}): Connector {
  const send = deps.fetch ?? fetch;
  const name = `defender ${settings.name}`;
  const tokens = new TokenSource({ ...settings, name }, GRAPH_SCOPE, send, deps.redact ?? ((t) => t));
  const api = { tokens, send, name, timeoutSeconds: settings.timeout_seconds, maxAttempts: settings.max_attempts };
  const mapping = { severity: settings.severity_map, hostname_form: settings.hostname_form };
  const detailUrl = (id: string) => `${trimSlash(settings.graph_url)}/v1.0/security/alerts_v2/${encodeURIComponent(id)}`;

  async function pull(checkpoint: Checkpoint, ctx: PullContext): Promise<PullResult> {
    const cursor = AlertCursor.parse(checkpoint.cursor ?? {});
    const resume = !ctx.firstPage && cursor.next !== null;
    const since = resume ? cursor.since : sinceFor(settings, checkpoint, ctx.clock.now());
    const url = resume ? cursor.next! : listUrl(settings, since);
    const parsed = ODataPage.safeParse(await apiGet(url, api, ctx));
    if (!parsed.success) throw new Error(`${name}: the alerts_v2 list answered without a value array`);
    const recent = new Map(cursor.recent);
    const windowStart = checkpoint.time ? ms(checkpoint.time) - settings.lookback_seconds * 1000 : null;
    let pending = resume ? cursor.pending : null;
    const fresh: { record: GraphAlert; time: string | null }[] = [];
    let invalid = 0;
    for (const item of parsed.data.value) {
      const record = GraphAlert.safeParse(item);
      if (!record.success) {
        invalid++;
        continue;
      }
      const time = graphTime(record.data.createdDateTime);
      pending = maxTime(pending, time);
      if (recent.has(record.data.id)) continue;
      // Below the window: committed by an earlier run (a vendor that ignored the filter must not duplicate).
      if (time && windowStart !== null && ms(time) < windowStart) continue;
      recent.set(record.data.id, time ?? checkpoint.time ?? new Date(0).toISOString());
      fresh.push({ record: record.data, time });
    }
    const alerts: unknown[] = [];
    for (const { record } of fresh) {
      let full = record;
      if (settings.detail === "always" || !Array.isArray(record.evidence)) {
        const detail = GraphAlert.safeParse(await apiGet(detailUrl(record.id), api, ctx, true));
        // A 404 (the alert was deleted or merged since the list) keeps what the list said.
        if (detail.success) full = detail.data;
      }
      alerts.push(defenderAlertToGeneric(full, mapping));
    }
    const next = parsed.data["@odata.nextLink"] ? checkNextLink(parsed.data["@odata.nextLink"], settings.graph_url, name) : null;
    if (next) {
      const entries = [...recent.entries()].slice(-MAX_RECENT);
      return {
        alerts,
        checkpoint: { time: checkpoint.time, seen: checkpoint.seen, overflow: false, cursor: { next, since, pending, recent: entries } },
        more: true,
        fetched: fresh.length + invalid,
      };
    }
    const mark = maxTime(checkpoint.time, pending);
    const keepFrom = mark ? ms(mark) - settings.lookback_seconds * 1000 : null;
    const kept = [...recent.entries()].filter(([, t]) => keepFrom === null || ms(t) >= keepFrom).sort((a, b) => ms(a[1]) - ms(b[1]));
    const seen = mark ? kept.filter(([, t]) => ms(t) === ms(mark)).map(([id]) => id) : [];
    return {
      alerts,
      checkpoint: { time: mark, seen, overflow: false, cursor: { next: null, since: null, pending: null, recent: kept.slice(-MAX_RECENT) } },
      more: false,
      fetched: fresh.length + invalid,
    };
  }

  return tokenSafeConnector({ name: settings.name, kind: "defender", intervalSeconds: settings.interval_seconds }, tokens, pull);
}
