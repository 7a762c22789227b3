import { z } from "zod";
import { commonSettings } from "../common.js";
import { DefenderAuthSettings, TokenSource, apiRequest, checkNextLink, tokenSafeConnector, trimSlash } from "../defender/oauth.js";
import type { Checkpoint, Connector, PullContext, PullResult } from "../types.js";
import { DEFAULT_SEVERITY_MAP, SentinelAlert, SentinelIncident, SeverityMapInput, sentinelAlertToGeneric, sentinelIncidentToGeneric } from "./mapping.js";

/** Settings of one Microsoft Sentinel connector (`connectors.sources` entry with `kind: sentinel`). */
export const SentinelSettings = z.strictObject({
  ...commonSettings("sentinel"),
  ...DefenderAuthSettings,
  subscription_id: z.string().min(1),
  resource_group: z.string().min(1),
  workspace_name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]+[A-Za-z0-9]$/, "a Log Analytics workspace name"),
  /** Azure Resource Manager; tests point it at loopback, sovereign clouds at theirs. */
  management_url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).default("https://management.azure.com"),
  api_version: z.string().min(1).default("2024-03-01"),
  /** `$top` of the incidents list. */
  page_size: z.coerce.number().int().min(1).max(1000).default(50),
  /** Each run re-queries this far below the high-water mark (incident lastModifiedTimeUtc). */
  lookback_seconds: z.coerce.number().int().min(0).max(86_400).default(300),
  /** The first run (no checkpoint) asks for incidents modified this many hours before now; 0 = all. */
  initial_lookback_hours: z.coerce.number().min(0).default(24),
  severity_map: SeverityMapInput.default(DEFAULT_SEVERITY_MAP),
});
export type SentinelSettings = z.output<typeof SentinelSettings>;

export const MANAGEMENT_SCOPE = "https://management.azure.com/.default";

export interface SentinelDeps {
  fetch?: typeof fetch;
  redact?: (text: string) => string;
}

/** The cursor: the page to resume (ARM `nextLink`) and the filter time it belongs to. */
const IncidentCursor = z.object({ next: z.string().nullable().default(null), since: z.string().nullable().default(null) }).catch({ next: null, since: null });

const ms = (iso: string) => Date.parse(iso);

export function incidentsBase(settings: Pick<SentinelSettings, "management_url" | "subscription_id" | "resource_group" | "workspace_name">): string {
  const segment = encodeURIComponent;
  return `${trimSlash(settings.management_url)}/subscriptions/${segment(settings.subscription_id)}/resourceGroups/${segment(settings.resource_group)}/providers/Microsoft.OperationalInsights/workspaces/${segment(settings.workspace_name)}/providers/Microsoft.SecurityInsights/incidents`;
}

/** `incidents?api-version&$filter=properties/lastModifiedTimeUtc ge <since>&$orderby=… asc&$top`: oldest change first. */
export function incidentsUrl(settings: SentinelSettings, since: string | null): string {
  const url = new URL(incidentsBase(settings));
  url.searchParams.set("api-version", settings.api_version);
  if (since) url.searchParams.set("$filter", `properties/lastModifiedTimeUtc ge ${since}`);
  url.searchParams.set("$orderby", "properties/lastModifiedTimeUtc asc");
  url.searchParams.set("$top", String(settings.page_size));
  return url.toString();
}

const Page = z.looseObject({ value: z.array(z.unknown()), nextLink: z.string().nullable().optional() });

/**
 * Pulls incidents changed since the high-water mark, oldest change first, and for each the alerts it
 * holds (`POST incidents/{id}/alerts`), one Nightshift alert per Sentinel alert (an incident without
 * alerts becomes one alert of its own). An incident that changes again (a new alert joined) is read
 * again; its alerts already stored are collapsed as duplicates by ingest. The mark advances with each page
 * (the order is by modification time); `seen` holds the incidents committed at the mark.
 */
export function createSentinelConnector(settings: SentinelSettings, deps: SentinelDeps = {}): Connector {
  const send = deps.fetch ?? fetch;
  const name = `sentinel ${settings.name}`;
  const tokens = new TokenSource({ ...settings, name }, MANAGEMENT_SCOPE, send, deps.redact ?? ((t) => t));
  const api = { tokens, send, name, timeoutSeconds: settings.timeout_seconds, maxAttempts: settings.max_attempts };

  async function alertsOf(incident: SentinelIncident, ctx: PullContext): Promise<unknown[]> {
    const url = `${incidentsBase(settings)}/${encodeURIComponent(incident.name)}/alerts?api-version=${encodeURIComponent(settings.api_version)}`;
    const page = Page.safeParse(await apiRequest(url, api, ctx, { method: "POST", allowNotFound: true }));
    if (!page.success) return [sentinelIncidentToGeneric(incident, settings.severity_map)];
    const alerts = page.data.value.flatMap((item) => {
      const alert = SentinelAlert.safeParse(item);
      return alert.success ? [sentinelAlertToGeneric(alert.data, incident, settings.severity_map)] : [];
    });
    return alerts.length ? alerts : [sentinelIncidentToGeneric(incident, settings.severity_map)];
  }

  async function pull(checkpoint: Checkpoint, ctx: PullContext): Promise<PullResult> {
    const cursor = IncidentCursor.parse(checkpoint.cursor ?? {});
    const resume = !ctx.firstPage && cursor.next !== null;
    let since = cursor.since;
    if (!resume) {
      const now = ctx.clock.now();
      since = checkpoint.time
        ? new Date(ms(checkpoint.time) - settings.lookback_seconds * 1000).toISOString()
        : settings.initial_lookback_hours > 0
          ? new Date(now.getTime() - settings.initial_lookback_hours * 3_600_000).toISOString()
          : null;
    }
    const parsed = Page.safeParse(await apiRequest(resume ? cursor.next! : incidentsUrl(settings, since), api, ctx, { method: "GET" }));
    if (!parsed.success) throw new Error(`${name}: the incidents list answered without a value array`);
    let mark = checkpoint.time;
    let seen = [...checkpoint.seen];
    const alerts: unknown[] = [];
    let fetched = 0;
    for (const item of parsed.data.value) {
      const incident = SentinelIncident.safeParse(item);
      if (!incident.success) {
        fetched++;
        continue;
      }
      const modified = incident.data.properties.lastModifiedTimeUtc;
      const at = modified && Number.isFinite(ms(modified)) ? new Date(modified).toISOString() : null;
      // Already committed in this very state: same incident, same modification time.
      if (at && checkpoint.time && ms(at) === ms(checkpoint.time) && checkpoint.seen.includes(incident.data.name)) continue;
      fetched++;
      alerts.push(...(await alertsOf(incident.data, ctx)));
      if (at && (mark === null || ms(at) > ms(mark))) {
        mark = at;
        seen = [];
      }
      if (at && mark && ms(at) === ms(mark) && !seen.includes(incident.data.name)) seen.push(incident.data.name);
    }
    const next = parsed.data.nextLink ? checkNextLink(parsed.data.nextLink, settings.management_url, name) : null;
    return { alerts, checkpoint: { time: mark, seen: seen.slice(-1000), overflow: false, cursor: { next, since } }, more: next !== null, fetched };
  }

  return tokenSafeConnector({ name: settings.name, kind: "sentinel", intervalSeconds: settings.interval_seconds }, tokens, pull);
}
