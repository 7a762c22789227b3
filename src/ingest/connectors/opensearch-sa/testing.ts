import type { Fault } from "../fault.js";
import { createServer, type Server } from "node:http";
import { listenOnLoopback, readRequestBody } from "../../../core/index.js";

/**
 * A loopback OpenSearch with the Security Analytics plugin, answering as the plugin's documented API and
 * its source do (documentation-website `_security-analytics/api-tools/alert-finding-api.md` and
 * `detector-api.md`; security-analytics `RestGetFindingsAction`, `RestGetAlertsAction`, `FindingsService`,
 * `AlertsService`, `FindingDto`, `AlertDto`; alerting `TransportGetFindingsSearchAction`):
 *
 * - `GET /_plugins/_security_analytics/findings/_search` — query parameters `detector_id` | `detectorType`,
 *   `sortString` (default `timestamp`), `sortOrder` (default `asc`), `size` (default 20), `startIndex`
 *   (default 0), `startTime`/`endTime` (epoch ms, applied only when BOTH are given, inclusive). One sort on
 *   the timestamp with from/size over the findings indices. Answer `{total_findings, findings: [{detectorId,
 *   id, related_doc_ids, index, queries: [{id, name, query, tags}], timestamp (epoch ms), document_list:
 *   [{index, id, found, document (the source as a JSON string)}]}]}`; the plugin fills document_list by an
 *   mget of `index` + related_doc_ids, so a document it could not read comes back `found: false`.
 * - `GET /_plugins/_security_analytics/alerts` — the same table parameters (sortString default
 *   `start_time`), merged PER MONITOR: each detector's monitor applies startIndex/size on its own and the
 *   answers are concatenated (`AlertsService`). Answer `{alerts: [AlertDto…], total_alerts}`, times ISO.
 * - `POST /_plugins/_security_analytics/detectors/_search` — a search body; hits `{_id, _source}` with
 *   the detector under `_source.detector` (`nested` path "detector" in the documented queries).
 * - `POST /_mget` — `{docs: [{_index, _id}]}` → `{docs: [{_index, _id, found, _source}]}`.
 * - Basic auth as the security plugin: 401 `security_exception` with a `WWW-Authenticate` header.
 *
 * `legacyIgnoresTimeWindow` reproduces plugins before startTime/endTime existed (they ignore them).
 */
export interface FakeFinding {
  id: string;
  detectorId: string;
  timestamp: number;
  index: string;
  related_doc_ids: string[];
  queries: { id: string; name: string; query: string; tags: string[] }[];
  /** The plugin could not read these documents when it answered: document_list says found false. */
  unreadable?: string[];
}

export interface FakeAlert {
  id: string;
  detector_id: string;
  trigger_id: string;
  trigger_name: string;
  finding_ids: string[];
  related_doc_ids: string[];
  state: string;
  severity: string;
  start_time: string;
}

export interface FakeDetector {
  id: string;
  name: string;
  detector_type: string;
}

export type { Fault } from "../fault.js";

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: unknown;
}

export interface FakeOpenSearch {
  url: string;
  findings: FakeFinding[];
  alerts: FakeAlert[];
  detectors: FakeDetector[];
  /** Log documents by `index` then id. */
  documents: Map<string, Map<string, Record<string, unknown>>>;
  faults: Fault[];
  requests: RecordedRequest[];
  options: { legacyIgnoresTimeWindow: boolean; detectorsStatus: number; mgetStatus: number; maxResultWindow: number };
  close(): Promise<void>;
}



function table(query: Record<string, string>, sortDefault: string) {
  const start = query.startTime ? Number(query.startTime) : null;
  const end = query.endTime ? Number(query.endTime) : null;
  return {
    sortString: query.sortString ?? sortDefault,
    desc: (query.sortOrder ?? "asc") === "desc",
    size: query.size ? Number(query.size) : 20,
    from: query.startIndex ? Number(query.startIndex) : 0,
    window: start !== null && end !== null ? { start, end } : null,
  };
}

export async function startFakeOpenSearch(options: { username: string; password: string }): Promise<FakeOpenSearch> {
  const expected = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString("base64")}`;
  const state = {
    findings: [] as FakeFinding[],
    alerts: [] as FakeAlert[],
    detectors: [] as FakeDetector[],
    documents: new Map<string, Map<string, Record<string, unknown>>>(),
    faults: [] as Fault[],
    requests: [] as RecordedRequest[],
    options: { legacyIgnoresTimeWindow: false, detectorsStatus: 200, mgetStatus: 200, maxResultWindow: 10_000 },
  };
  const typeOf = (detectorId: string) => state.detectors.find((d) => d.id === detectorId)?.detector_type;
  const byDetector = <T>(items: T[], detectorOf: (item: T) => string, query: Record<string, string>) => {
    if (query.detector_id) return items.filter((i) => detectorOf(i) === query.detector_id);
    if (query.detectorType) return items.filter((i) => typeOf(detectorOf(i)) === query.detectorType);
    return items;
  };

  const server: Server = createServer(async (req, res) => {
    const text = await readRequestBody(req);
    const url = new URL(req.url ?? "/", "http://localhost");
    const query = Object.fromEntries(url.searchParams);
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    state.requests.push({ method: req.method ?? "", path: url.pathname, query, authorization: req.headers.authorization, body });
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(typeof payload === "string" ? payload : JSON.stringify(payload));
    };
    const fault = state.faults.shift();
    if (fault) return send(fault.status, fault.body ?? { error: { type: "fault", reason: `scripted ${fault.status}` }, status: fault.status }, fault.headers);
    if (req.headers.authorization !== expected)
      return send(401, { error: { root_cause: [{ type: "security_exception", reason: "Unauthorized" }], type: "security_exception", reason: "Unauthorized" }, status: 401 }, { "www-authenticate": 'Basic realm="OpenSearch Security"' });

    if (req.method === "GET" && url.pathname === "/_plugins/_security_analytics/findings/_search") {
      const t = table(query, "timestamp");
      if (t.from + t.size > state.options.maxResultWindow)
        return send(500, { error: { type: "search_phase_execution_exception", reason: `Result window is too large, from + size must be less than or equal to: [${state.options.maxResultWindow}] but was [${t.from + t.size}].` }, status: 500 });
      let hits = byDetector(state.findings, (f) => f.detectorId, query);
      if (t.window && !state.options.legacyIgnoresTimeWindow) hits = hits.filter((f) => f.timestamp >= t.window!.start && f.timestamp <= t.window!.end);
      // A stable sort on the one sort field, as a single-shard index answers.
      hits = [...hits].sort((a, b) => (t.desc ? b.timestamp - a.timestamp : a.timestamp - b.timestamp));
      const page = hits.slice(t.from, t.from + t.size).map((f) => ({
        detectorId: f.detectorId,
        id: f.id,
        related_doc_ids: f.related_doc_ids,
        index: f.index,
        queries: f.queries,
        timestamp: f.timestamp,
        document_list: f.related_doc_ids.flatMap((id) => {
          const source = state.documents.get(f.index)?.get(id);
          if (f.unreadable?.includes(id) || !source) return [{ index: f.index, id, found: false, document: "" }];
          return [{ index: f.index, id, found: true, document: JSON.stringify(source, null, 2) }];
        }),
      }));
      return send(200, { total_findings: hits.length, findings: page });
    }

    if (req.method === "GET" && url.pathname === "/_plugins/_security_analytics/alerts") {
      const t = table(query, "start_time");
      const mine = byDetector(state.alerts, (a) => a.detector_id, query);
      const groups = new Map<string, FakeAlert[]>();
      for (const alert of mine) groups.set(alert.detector_id, [...(groups.get(alert.detector_id) ?? []), alert]);
      const alerts: FakeAlert[] = [];
      let total = 0;
      for (const group of groups.values()) {
        let hits = group;
        if (t.window && !state.options.legacyIgnoresTimeWindow) hits = hits.filter((a) => Date.parse(a.start_time) >= t.window!.start && Date.parse(a.start_time) <= t.window!.end);
        hits = [...hits].sort((a, b) => (t.desc ? -1 : 1) * (Date.parse(a.start_time) - Date.parse(b.start_time)));
        total += hits.length;
        alerts.push(...hits.slice(t.from, t.from + t.size));
      }
      return send(200, {
        alerts: alerts.map((a) => ({
          ...a,
          version: 1,
          schema_version: 5,
          error_message: null,
          alert_history: [],
          action_execution_results: [],
          last_notification_time: a.start_time,
          end_time: null,
          acknowledged_time: null,
        })),
        total_alerts: total,
      });
    }

    if (req.method === "POST" && url.pathname === "/_plugins/_security_analytics/detectors/_search") {
      if (state.options.detectorsStatus !== 200) return send(state.options.detectorsStatus, { error: { type: "security_exception", reason: "no permissions for [cluster:admin/opensearch/securityanalytics/detector/search]" }, status: state.options.detectorsStatus });
      return send(200, {
        took: 1,
        timed_out: false,
        hits: {
          total: { value: state.detectors.length, relation: "eq" },
          hits: state.detectors.map((d) => ({
            _index: ".opensearch-sap-detectors-config",
            _id: d.id,
            _score: 1,
            _source: { detector: { type: "detector", name: d.name, detector_type: d.detector_type, enabled: true, inputs: [{ detector_input: { indices: ["windows"], custom_rules: [], pre_packaged_rules: [] } }] } },
          })),
        },
      });
    }

    if (req.method === "POST" && url.pathname === "/_mget") {
      if (state.options.mgetStatus !== 200) return send(state.options.mgetStatus, { error: { type: "security_exception", reason: "no permissions for [indices:data/read/mget]" }, status: state.options.mgetStatus });
      const docs = ((body as { docs?: { _index: string; _id: string }[] })?.docs ?? []).map(({ _index, _id }) => {
        const source = state.documents.get(_index)?.get(_id);
        return source ? { _index, _id, _version: 1, _seq_no: 0, _primary_term: 1, found: true, _source: source } : { _index, _id, found: false };
      });
      return send(200, { docs });
    }
    send(404, { error: { type: "no_handler", reason: `no handler for ${req.method} ${url.pathname}` }, status: 404 });
  });
  const loopback = await listenOnLoopback(server);
  return {
    url: loopback.url,
    findings: state.findings,
    alerts: state.alerts,
    detectors: state.detectors,
    documents: state.documents,
    faults: state.faults,
    requests: state.requests,
    options: state.options,
    close: loopback.close,
  };
}

let counter = 0;

/** A Sysmon process-creation document as winlogbeat ships it (the Windows log type's fields). */
export function sysmonDocument(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "@timestamp": "2026-11-24T09:59:58.000Z",
    host: { name: "ws-042.corp.example" },
    winlog: {
      computer_name: "WS-042",
      event_id: 1,
      channel: "Microsoft-Windows-Sysmon/Operational",
      event_data: {
        Image: "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        CommandLine: "powershell.exe -nop -w hidden -enc SQBFAFgA",
        ProcessId: "4242",
        ParentImage: "C:\\Windows\\System32\\cmd.exe",
        ParentCommandLine: "cmd.exe /c run.bat",
        User: "CORP\\alice",
        Hashes: "SHA1=3F5B1B2C3D4E5F60718293A4B5C6D7E8F9012345,MD5=0123456789ABCDEF0123456789ABCDEF,SHA256=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
      },
    },
    ...overrides,
  };
}

/** Adds a finding over one new document (the document stored in its index), returning both. */
export function addFinding(
  fake: Pick<FakeOpenSearch, "findings" | "documents">,
  timestamp: number,
  options: { id?: string; detectorId?: string; level?: string; tags?: string[]; document?: Record<string, unknown>; index?: string; unreadable?: boolean; ruleName?: string } = {},
): FakeFinding {
  counter++;
  const index = options.index ?? "windows-logs-2026.11.24";
  const docId = `doc-${counter}`;
  const docs = fake.documents.get(index) ?? new Map<string, Record<string, unknown>>();
  docs.set(docId, options.document ?? sysmonDocument());
  fake.documents.set(index, docs);
  const finding: FakeFinding = {
    id: options.id ?? `finding-${String(counter).padStart(5, "0")}`,
    detectorId: options.detectorId ?? "det-win",
    timestamp,
    index,
    related_doc_ids: [docId],
    queries: [
      {
        id: "36475c52-7dce-4e0e-b6b8-14e6c1d4b9a4",
        name: options.ruleName ?? "Suspicious Encoded PowerShell Command Line",
        query: "CommandLine: *-enc*",
        tags: [options.level ?? "high", "windows", ...(options.tags ?? ["attack.execution", "attack.t1059.001"])],
      },
    ],
    unreadable: options.unreadable ? [docId] : undefined,
  };
  fake.findings.push(finding);
  return finding;
}
