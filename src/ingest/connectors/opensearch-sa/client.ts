import { z } from "zod";
import type { Severity } from "../../../core/index.js";
import { advanceCheckpoint, isSeen } from "../checkpoint.js";
import { commonSettings } from "../common.js";
import { ConnectorAuthError, requestWithRetry, responseJson } from "../http.js";
import type { Checkpoint, Connector, PullContext, PullResult } from "../types.js";
import {
  DEFAULT_LEVEL_SEVERITIES,
  DEFAULT_TRIGGER_SEVERITIES,
  Finding,
  SeverityTable,
  TriggerAlert,
  findingToAlert,
  parseDocument,
  triggerAlertToAlert,
  vendorTime,
  type DetectorInfo,
  type FetchedDocument,
} from "./mapping.js";

/** Settings of one OpenSearch Security Analytics connector (`connectors.sources[]` with `kind: opensearch_sa`). */
export const OpenSearchSaSettings = z
  .strictObject({
    ...commonSettings("opensearch_sa"),
    /** The OpenSearch base URL, e.g. https://opensearch:9200 (a private CA: NODE_EXTRA_CA_CERTS). */
    url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }),
    /** Basic auth (the security plugin's internal users); both or neither. */
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** Only this detector's findings (`detector_id`), or only this log type's (`detectorType`, e.g. windows). */
    detector_id: z.string().min(1).optional(),
    detector_type: z.string().min(1).optional(),
    page_size: z.coerce.number().int().min(1).max(1000).default(100),
    /** Sigma rule level (a finding's rule tag) → severity; the highest level of the matched rules wins. */
    severity_levels: SeverityTable.default(DEFAULT_LEVEL_SEVERITIES),
    /** Fetch the documents a finding's document_list lacks (`POST /_mget`). */
    fetch_documents: z.boolean().default(true),
    /** Documents kept per finding (mapped and stored in raw). */
    max_documents: z.coerce.number().int().min(1).max(100).default(10),
    /** Look detectors up for their names and log types (`POST …/detectors/_search`), best effort. */
    resolve_detectors: z.boolean().default(true),
    /** The findings indices' index.max_result_window: startIndex + size never goes beyond it. */
    max_result_window: z.coerce.number().int().min(1).default(10_000),
    /** Also pull the detectors' trigger alerts (`GET …/alerts`), one alert each. */
    include_alerts: z.boolean().default(false),
    /** Trigger severity "1" (highest) … "5" → severity. */
    alert_severities: SeverityTable.default(DEFAULT_TRIGGER_SEVERITIES),
  })
  .refine((s) => (s.username === undefined) === (s.password === undefined), { path: ["password"], message: "username and password go together" });
export type OpenSearchSaSettings = z.output<typeof OpenSearchSaSettings>;

/** The upper bound of the time window: the API applies startTime only together with endTime. */
export const FAR_FUTURE_MS = 253402300799999;
const SA = "/_plugins/_security_analytics";

const FindingsResponse = z.looseObject({ total_findings: z.number().nullable().optional(), findings: z.array(z.unknown()) });
const AlertsResponse = z.looseObject({ total_alerts: z.number().nullable().optional(), alerts: z.array(z.unknown()) });
const MgetResponse = z.looseObject({
  docs: z.array(z.looseObject({ _index: z.string().optional(), _id: z.string(), found: z.boolean().optional(), _source: z.unknown().optional() })),
});
const DetectorsResponse = z.looseObject({
  hits: z.looseObject({ hits: z.array(z.looseObject({ _id: z.string(), _source: z.unknown().optional() })) }),
});

/** Where a run stands, inside `Checkpoint.cursor` (the high-water mark of findings is `Checkpoint.time`). */
const CursorSchema = z.object({
  phase: z.enum(["findings", "alerts"]).catch("findings"),
  /** This run's findings window (the mark at its start) and how many findings of it were read. */
  findings: z.object({ window: z.string().nullable(), offset: z.number().int().min(0) }).catch({ window: null, offset: 0 }),
  /** Trigger alerts: the committed mark and ids at it, this run's window and offset, and the mark it will reach. */
  alerts: z
    .object({
      time: z.string().nullable(),
      seen: z.array(z.string()),
      offset: z.number().int().min(0),
      next_time: z.string().nullable(),
      next_seen: z.array(z.string()),
    })
    .catch({ time: null, seen: [], offset: 0, next_time: null, next_seen: [] }),
});
export type SaCursor = z.infer<typeof CursorSchema>;

function readCursor(cursor: unknown): SaCursor {
  return CursorSchema.parse(cursor && typeof cursor === "object" ? cursor : {});
}

export interface OpenSearchSaDeps {
  fetch?: typeof fetch;
  redact?: (text: string) => string;
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

/** The query string of a findings page (exported so tests and the README show the exact request). */
export function findingsQuery(settings: Pick<OpenSearchSaSettings, "detector_id" | "detector_type">, window: string | null, offset: number, size: number): URLSearchParams {
  const params = new URLSearchParams();
  if (settings.detector_id) params.set("detector_id", settings.detector_id);
  else if (settings.detector_type) params.set("detectorType", settings.detector_type);
  params.set("sortString", "timestamp");
  params.set("sortOrder", "asc");
  params.set("size", String(size));
  params.set("startIndex", String(offset));
  if (window) {
    params.set("startTime", String(Date.parse(window)));
    params.set("endTime", String(FAR_FUTURE_MS));
  }
  return params;
}

export function alertsQuery(settings: Pick<OpenSearchSaSettings, "detector_id" | "detector_type">, window: string | null, offset: number, size: number): URLSearchParams {
  const params = new URLSearchParams();
  if (settings.detector_id) params.set("detector_id", settings.detector_id);
  else if (settings.detector_type) params.set("detectorType", settings.detector_type);
  params.set("sortString", "start_time");
  params.set("sortOrder", "asc");
  params.set("size", String(size));
  params.set("startIndex", String(offset));
  if (window) {
    params.set("startTime", String(Date.parse(window)));
    params.set("endTime", String(FAR_FUTURE_MS));
  }
  return params;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function createOpenSearchSaConnector(settings: OpenSearchSaSettings, deps: OpenSearchSaDeps = {}): Connector {
  const send = deps.fetch ?? fetch;
  const redact = deps.redact ?? ((t: string) => t);
  const base = settings.url.replace(/\/+$/, "");
  const headers: Record<string, string> = { accept: "application/json" };
  if (settings.username && settings.password) headers.authorization = basicAuth(settings.username, settings.password);
  const levels: Record<string, Severity> = settings.severity_levels;
  const detectors = new Map<string, DetectorInfo>();
  let detectorsLookedUp = false;

  async function call(method: "GET" | "POST", path: string, ctx: PullContext, body?: unknown, maxAttempts = settings.max_attempts): Promise<unknown> {
    const what = `opensearch_sa ${settings.name}: ${method} ${path.split("?")[0]}`;
    const response = await requestWithRetry(
      () =>
        send(`${base}${path}`, {
          method,
          headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(settings.timeout_seconds * 1000),
        }),
      { what, clock: ctx.clock, sleep: ctx.sleep, redact, retry: { maxAttempts } },
    );
    return responseJson(response).catch(() => {
      throw new Error(`${what}: the answer is not JSON`);
    });
  }

  /** Names and log types of detectors, once per run and only when a record names an unknown one; failures leave titles plainer. */
  async function resolveDetectors(ids: (string | undefined)[], ctx: PullContext): Promise<void> {
    if (!settings.resolve_detectors || detectorsLookedUp) return;
    if (!ids.some((id) => id !== undefined && !detectors.has(id))) return;
    detectorsLookedUp = true;
    try {
      const json = await call("POST", `${SA}/detectors/_search`, ctx, { size: 1000, query: { match_all: {} } }, 1);
      const parsed = DetectorsResponse.safeParse(json);
      if (!parsed.success) return;
      for (const hit of parsed.data.hits.hits) {
        // The stored document nests the detector under `detector`; the documented answer shows it flat.
        const source = isObject(hit._source) ? (isObject(hit._source.detector) ? hit._source.detector : hit._source) : {};
        detectors.set(hit._id, {
          name: typeof source.name === "string" ? source.name : undefined,
          type: typeof source.detector_type === "string" ? source.detector_type : undefined,
        });
      }
    } catch {
      // Names are a convenience: a reader role without detector access still gets its findings.
    }
  }

  /** The parsed documents of each finding: from its document_list, the rest fetched in one `_mget` for the page. */
  async function documentsOf(findings: Finding[], ctx: PullContext): Promise<{ documents: Map<string, FetchedDocument[]>; error?: string }> {
    const out = new Map<string, FetchedDocument[]>();
    const wanted: { finding: string; index: string; id: string }[] = [];
    for (const finding of findings) {
      const listed = (finding.document_list ?? []).map((d) => ({
        index: d.index ?? finding.index ?? null,
        id: d.id ?? "",
        found: d.found !== false,
        source: d.found === false ? null : parseDocument(d.document),
      }));
      const ids = [...new Set([...(finding.related_doc_ids ?? []), ...listed.map((d) => d.id).filter(Boolean)])].slice(0, settings.max_documents);
      const docs: FetchedDocument[] = ids.map((id) => listed.find((d) => d.id === id) ?? { index: finding.index ?? null, id, found: false, source: null });
      out.set(finding.id, docs);
      if (settings.fetch_documents) for (const doc of docs) if (!doc.source && doc.index) wanted.push({ finding: finding.id, index: doc.index, id: doc.id });
    }
    if (!wanted.length) return { documents: out };
    let json: unknown;
    try {
      json = await call("POST", "/_mget", ctx, { docs: wanted.map((w) => ({ _index: w.index, _id: w.id })) });
    } catch (error) {
      // A reader allowed the findings but not the log indices: the findings still count, without their documents.
      if (error instanceof ConnectorAuthError && error.status === 403) return { documents: out, error: "forbidden: no read permission on the log indices" };
      throw error;
    }
    const parsed = MgetResponse.safeParse(json);
    if (!parsed.success) throw new Error(`opensearch_sa ${settings.name}: POST /_mget answered without docs[]`);
    const fetched = new Map<string, Record<string, unknown>>();
    for (const doc of parsed.data.docs) if (doc.found && isObject(doc._source)) fetched.set(`${doc._index ?? ""}\u0000${doc._id}`, doc._source);
    for (const w of wanted) {
      // An alias or pattern answers with the concrete index: match by id when the index differs.
      const source = fetched.get(`${w.index}\u0000${w.id}`) ?? parsed.data.docs.find((d) => d._id === w.id && d.found && isObject(d._source))?._source;
      if (!isObject(source)) continue;
      const docs = out.get(w.finding)!;
      const at = docs.findIndex((d) => d.id === w.id);
      docs[at] = { index: w.index, id: w.id, found: true, source };
    }
    return { documents: out };
  }

  async function pullFindings(checkpoint: Checkpoint, cursor: SaCursor, ctx: PullContext): Promise<PullResult> {
    let { window, offset } = cursor.findings;
    // Deep in a long window (a backlog), start a new one at the mark reached: from + size stays in bounds.
    if (offset > 0 && offset + settings.page_size > settings.max_result_window && checkpoint.time !== window) {
      window = checkpoint.time;
      offset = 0;
    }
    // Re-reading from the mark inclusive returns the ids already committed at it first: ask for them on top.
    const size = Math.min(settings.page_size + (offset === 0 ? checkpoint.seen.length : 0), settings.max_result_window - offset);
    if (size <= 0)
      throw new Error(
        `opensearch_sa ${settings.name}: more than ${settings.max_result_window} findings from ${window ?? "the start"} cannot be paged (one timestamp, or a plugin ignoring startTime); raise index.max_result_window and max_result_window`,
      );
    const json = await call("GET", `${SA}/findings/_search?${findingsQuery(settings, window, offset, size)}`, ctx);
    const parsed = FindingsResponse.safeParse(json);
    if (!parsed.success) throw new Error(`opensearch_sa ${settings.name}: the findings answer has no findings[] (is the Security Analytics plugin installed?)`);
    const page = parsed.data.findings.map((f) => Finding.safeParse(f)).filter((r) => r.success).map((r) => r.data);
    const fresh: { finding: Finding; time: string | null }[] = [];
    const ids = new Set<string>();
    for (const finding of page) {
      const time = vendorTime(finding.timestamp);
      // isSeen also drops what an older plugin returns from before the window (it ignores startTime).
      if (ids.has(finding.id) || (time && isSeen(checkpoint, finding.id, time))) continue;
      ids.add(finding.id);
      fresh.push({ finding, time });
    }
    await resolveDetectors(fresh.map((f) => f.finding.detectorId), ctx);
    const { documents, error: documentsError } = await documentsOf(fresh.map((f) => f.finding), ctx);
    const alerts = fresh.map(({ finding }) =>
      findingToAlert(finding, documents.get(finding.id) ?? [], { levels, detector: finding.detectorId ? detectors.get(finding.detectorId) : undefined, documentsError }),
    );
    const findingsMore = parsed.data.findings.length > 0 && parsed.data.findings.length >= size;
    const nextCursor: SaCursor = {
      ...cursor,
      phase: findingsMore || !settings.include_alerts ? "findings" : "alerts",
      findings: { window, offset: offset + parsed.data.findings.length },
    };
    const next = advanceCheckpoint(
      checkpoint,
      fresh.filter((f): f is { finding: Finding; time: string } => f.time !== null).map((f) => ({ id: f.finding.id, time: f.time })),
      nextCursor,
    );
    return { alerts, checkpoint: next, more: findingsMore || settings.include_alerts, fetched: fresh.length };
  }

  /**
   * Trigger alerts are merged per monitor by the plugin (each monitor pages on its own), so a page is not
   * in one global order: the run filters against the mark it started from and moves it once, at the end.
   */
  async function pullAlerts(checkpoint: Checkpoint, cursor: SaCursor, ctx: PullContext): Promise<PullResult> {
    const state = cursor.alerts;
    const size = settings.page_size;
    const json = await call("GET", `${SA}/alerts?${alertsQuery(settings, state.time, state.offset, size)}`, ctx);
    const parsed = AlertsResponse.safeParse(json);
    if (!parsed.success) throw new Error(`opensearch_sa ${settings.name}: the alerts answer has no alerts[]`);
    const page = parsed.data.alerts.map((a) => TriggerAlert.safeParse(a)).filter((r) => r.success).map((r) => r.data);
    const committed: Checkpoint = { time: state.time, seen: state.seen, overflow: false, cursor: null };
    const fresh = page.filter((a) => {
      const time = vendorTime(a.start_time);
      return !time || !isSeen(committed, a.id, time);
    });
    await resolveDetectors(fresh.map((a) => a.detector_id), ctx);
    const reached = advanceCheckpoint(
      { time: state.next_time, seen: state.next_seen, overflow: false, cursor: null },
      fresh.flatMap((a) => {
        const time = vendorTime(a.start_time);
        return time ? [{ id: a.id, time }] : [];
      }),
    );
    const more = parsed.data.alerts.length >= size && parsed.data.alerts.length > 0;
    const alerts: SaCursor["alerts"] = more
      ? { ...state, offset: state.offset + size, next_time: reached.time, next_seen: reached.seen }
      : { time: reached.time, seen: reached.seen, offset: 0, next_time: reached.time, next_seen: reached.seen };
    return {
      alerts: fresh.map((a) => triggerAlertToAlert(a, { severities: settings.alert_severities, detector: a.detector_id ? detectors.get(a.detector_id) : undefined })),
      checkpoint: { ...checkpoint, cursor: { ...cursor, alerts } satisfies SaCursor },
      more,
      fetched: fresh.length,
    };
  }

  async function pull(checkpoint: Checkpoint, ctx: PullContext): Promise<PullResult> {
    let cursor = readCursor(checkpoint.cursor);
    if (ctx.firstPage) {
      detectorsLookedUp = false;
      // A run reads from the committed marks; what a crashed run read past them is read again (idempotent).
      cursor = {
        phase: "findings",
        findings: { window: checkpoint.time, offset: 0 },
        alerts: { time: cursor.alerts.time, seen: cursor.alerts.seen, offset: 0, next_time: cursor.alerts.time, next_seen: cursor.alerts.seen },
      };
    }
    return cursor.phase === "alerts" ? pullAlerts(checkpoint, cursor, ctx) : pullFindings(checkpoint, cursor, ctx);
  }

  return { name: settings.name, kind: "opensearch_sa", intervalSeconds: settings.interval_seconds, pull };
}
