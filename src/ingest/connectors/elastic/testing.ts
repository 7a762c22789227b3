import type { Fault } from "../fault.js";
import { createServer, type Server } from "node:http";
import { field } from "./mapping.js";
import { listenOnLoopback, readRequestBody } from "../../../core/index.js";

/**
 * A loopback Elasticsearch holding Elastic Security detection alerts, answering what the connector
 * sends as Elasticsearch documents it (shapes checked with the `search` tool before writing):
 * - Alert documents and index names: Elastic Security "Alert schema"
 *   (elastic.co/guide/en/security/current/alert-schema.html) — alerts live in hidden backing indices
 *   `.internal.alerts-security.alerts-<space>-NNNNNN` behind the alias `.alerts-security.alerts-<space>`
 *   ("Alert storage and schema" page); `kibana.alert.*` fields are dotted keys at the top of `_source`,
 *   ECS fields nested, `_id` = `kibana.alert.uuid` (a real exported alert document, Kibana 8.19).
 * - `POST /<target>/_search` with a bool query (`filter`: `range` / `terms`, `must_not`: `exists`),
 *   `sort`, `size`, `search_after`; each hit carries `sort` (a `date` sorts as epoch milliseconds)
 *   (Elasticsearch reference: "Paginate search results").
 * - Authentication: `Authorization: ApiKey <base64(id:api_key)>` or `Basic` (Elasticsearch API
 *   "Authentication"); refused → 401 `security_exception` with a `WWW-Authenticate` header.
 * - Point in time: `POST /<target>/_pit?keep_alive=1m` → `{id}`; `POST /_search` (no index) with
 *   `pit: {id, keep_alive}`; the search answers `pit_id` and appends the implicit `_shard_doc`
 *   tiebreaker to every hit's `sort` (elastic/elasticsearch#68833); `DELETE /_pit {id}` →
 *   `{succeeded, num_freed}`; an unknown id → 404 `search_context_missing_exception` ("Open a point in time" API).
 * - A concrete index or alias that does not exist → 404 `index_not_found_exception`.
 * Scripted faults are served first, one per request.
 */
export interface FakeAlert {
  _id: string;
  /** The backing index; its alias is derived from it. */
  _index?: string;
  _source: Record<string, unknown>;
}

export type { Fault } from "../fault.js";

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

export interface FakeElasticsearch {
  url: string;
  docs: FakeAlert[];
  faults: Fault[];
  requests: RecordedRequest[];
  /** Open points in time (their ids). */
  openPits(): string[];
  /** Forgets every point in time, as when keep_alive passes. */
  expirePits(): void;
  /** Called after each `_search` is answered (1-based count of searches): tests add alerts mid-run here. */
  afterSearch?: (count: number) => void;
  close(): Promise<void>;
}

export const DEFAULT_BACKING_INDEX = ".internal.alerts-security.alerts-default-000001";



function compare(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

const aliasOf = (index: string) => index.replace(/^\.internal\./, ".").replace(/-\d{6}$/, "");
const toRegex = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);

type Range = { gte?: string | number; gt?: string | number; lte?: string | number; lt?: string | number };
type Clause = { range?: Record<string, Range>; terms?: Record<string, unknown[]>; term?: Record<string, unknown>; exists?: { field: string } };

function dateMs(value: unknown): number {
  if (typeof value === "number") return value;
  return typeof value === "string" ? Date.parse(value) : NaN;
}

function matches(doc: FakeAlert, clause: Clause): boolean {
  if (clause.range) {
    const [name, bounds] = Object.entries(clause.range)[0]!;
    const raw = field(doc._source, name);
    const value = name === "@timestamp" ? dateMs(raw) : Number(raw);
    const bound = (v: string | number) => (name === "@timestamp" ? dateMs(v) : Number(v));
    if (bounds.gte !== undefined && !(value >= bound(bounds.gte))) return false;
    if (bounds.gt !== undefined && !(value > bound(bounds.gt))) return false;
    if (bounds.lte !== undefined && !(value <= bound(bounds.lte))) return false;
    if (bounds.lt !== undefined && !(value < bound(bounds.lt))) return false;
    return true;
  }
  if (clause.terms) {
    const [name, values] = Object.entries(clause.terms)[0]!;
    const value = field(doc._source, name);
    return (Array.isArray(value) ? value : [value]).some((v) => values.includes(v));
  }
  if (clause.term) {
    const [name, value] = Object.entries(clause.term)[0]!;
    return field(doc._source, name) === (typeof value === "object" && value !== null ? (value as { value: unknown }).value : value);
  }
  if (clause.exists) {
    const value = field(doc._source, clause.exists.field);
    return value !== undefined && value !== null;
  }
  throw new Error(`fake elasticsearch: unsupported clause ${JSON.stringify(clause)}`);
}

interface Pit {
  target: string;
  /** The documents visible when the point in time opened, in their shard order. */
  docs: FakeAlert[];
}

export async function startFakeElasticsearch(options: { apiKey?: { id: string; key: string }; username?: string; password?: string; docs?: FakeAlert[] }): Promise<FakeElasticsearch> {
  const accepted = new Set<string>();
  if (options.apiKey) accepted.add(`ApiKey ${Buffer.from(`${options.apiKey.id}:${options.apiKey.key}`).toString("base64")}`);
  if (options.username) accepted.add(`Basic ${Buffer.from(`${options.username}:${options.password ?? ""}`).toString("base64")}`);
  const state = { docs: [...(options.docs ?? [])], faults: [] as Fault[], requests: [] as RecordedRequest[] };
  const pits = new Map<string, Pit>();
  let pitCounter = 0;
  let searches = 0;
  const fake = {} as FakeElasticsearch;

  /** The documents a target (comma list, wildcards, aliases) names; null when a concrete name does not exist. */
  const targetDocs = (target: string, docs: FakeAlert[]): FakeAlert[] | null => {
    const indexOf = (doc: FakeAlert) => doc._index ?? DEFAULT_BACKING_INDEX;
    const existing = new Set([DEFAULT_BACKING_INDEX, aliasOf(DEFAULT_BACKING_INDEX), ...docs.flatMap((doc) => [indexOf(doc), aliasOf(indexOf(doc))])]);
    const found = new Set<FakeAlert>();
    for (const part of target.split(",")) {
      if (!part.includes("*") && !existing.has(part)) return null;
      const re = toRegex(part);
      for (const doc of docs) if (re.test(indexOf(doc)) || re.test(aliasOf(indexOf(doc)))) found.add(doc);
    }
    return docs.filter((doc) => found.has(doc));
  };

  const server: Server = createServer(async (req, res) => {
    const text = await readRequestBody(req);
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    const [rawPath, query = ""] = (req.url ?? "/").split("?");
    const path = decodeURIComponent(rawPath!);
    state.requests.push({ method: req.method ?? "", path, query, authorization: req.headers.authorization, body });
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(typeof payload === "string" ? payload : JSON.stringify(payload));
    };
    const fault = state.faults.shift();
    if (fault) return send(fault.status, fault.body ?? { error: { type: "fault", reason: `scripted ${fault.status}` }, status: fault.status }, fault.headers);
    if (!accepted.has(req.headers.authorization ?? ""))
      return send(
        401,
        { error: { root_cause: [{ type: "security_exception", reason: "unable to authenticate with provided credentials" }], type: "security_exception", reason: "unable to authenticate with provided credentials" }, status: 401 },
        { "www-authenticate": 'ApiKey, Basic realm="security", charset="UTF-8"' },
      );

    if (req.method === "DELETE" && path === "/_pit") {
      const id = String(body.id ?? "");
      const freed = pits.delete(id) ? 1 : 0;
      return send(freed ? 200 : 404, { succeeded: true, num_freed: freed });
    }
    const pitOpen = /^\/([^/]+)\/_pit$/.exec(path);
    if (req.method === "POST" && pitOpen) {
      if (!new URLSearchParams(query).get("keep_alive")) return send(400, { error: { type: "action_request_validation_exception", reason: "[keep_alive] is required" }, status: 400 });
      const docs = targetDocs(pitOpen[1]!, state.docs);
      if (!docs) return send(404, { error: { type: "index_not_found_exception", reason: `no such index [${pitOpen[1]}]` }, status: 404 });
      const id = Buffer.from(`pit-${++pitCounter}`).toString("base64");
      pits.set(id, { target: pitOpen[1]!, docs: [...docs] });
      return send(200, { id, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 } });
    }

    const searchPath = /^(?:\/([^/]+))?\/_search$/.exec(path);
    if (req.method !== "POST" || !searchPath) return send(404, { error: "no handler", status: 404 });
    const pitRef = body.pit as { id?: string; keep_alive?: string } | undefined;
    let docs: FakeAlert[] | null;
    let pit: Pit | undefined;
    if (pitRef) {
      if (searchPath[1]) return send(400, { error: { type: "action_request_validation_exception", reason: "[indices] cannot be used with point in time" }, status: 400 });
      pit = pits.get(pitRef.id ?? "");
      if (!pit) return send(404, { error: { type: "search_context_missing_exception", reason: "No search context found for id" }, status: 404 });
      docs = pit.docs;
    } else {
      if (!searchPath[1]) return send(400, { error: "this fake needs an index or a point in time", status: 400 });
      docs = targetDocs(searchPath[1], state.docs);
      if (!docs) return send(404, { error: { type: "index_not_found_exception", reason: `no such index [${searchPath[1]}]` }, status: 404 });
    }

    const bool = (body.query as { bool?: { filter?: Clause[]; must_not?: Clause[] } } | undefined)?.bool ?? {};
    let hits = docs.filter((doc) => (bool.filter ?? []).every((c) => matches(doc, c)) && !(bool.must_not ?? []).some((c) => matches(doc, c)));
    const sortFields = ((body.sort ?? []) as Record<string, { order: string }>[]).map((s) => Object.keys(s)[0]!);
    const order = new Map((pit?.docs ?? docs).map((doc, i) => [doc, i]));
    const sortValues = (doc: FakeAlert) => {
      const values = sortFields.map((f) => (f === "@timestamp" ? dateMs(field(doc._source, f)) : (field(doc._source, f) ?? null)));
      return pit ? [...values, order.get(doc)!] : values;
    };
    const after = body.search_after as unknown[] | undefined;
    if (after && after.length !== sortFields.length + (pit ? 1 : 0))
      return send(400, { error: { type: "illegal_argument_exception", reason: `search_after has ${after.length} value(s) but sort has ${sortFields.length + (pit ? 1 : 0)}.` }, status: 400 });
    hits.sort((a, b) => compare(sortValues(a), sortValues(b)));
    if (after) hits = hits.filter((doc) => compare(sortValues(doc), after) > 0);
    const size = typeof body.size === "number" ? body.size : 10;
    const page = hits.slice(0, size).map((doc) => ({ _index: doc._index ?? DEFAULT_BACKING_INDEX, _id: doc._id, _score: null, _source: doc._source, sort: sortValues(doc) }));
    send(200, {
      ...(pitRef ? { pit_id: pitRef.id } : {}),
      took: 1,
      timed_out: false,
      _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
      hits: { max_score: null, hits: page },
    });
    fake.afterSearch?.(++searches);
  });
  const loopback = await listenOnLoopback(server);
  Object.assign(fake, {
    url: loopback.url,
    faults: state.faults,
    requests: state.requests,
    openPits: () => [...pits.keys()],
    expirePits: () => pits.clear(),
    close: loopback.close,
  });
  Object.defineProperty(fake, "docs", { get: () => state.docs });
  return fake;
}

let counter = 0;

export interface AlertOverrides {
  uuid?: string;
  severity?: string;
  riskScore?: number;
  workflowStatus?: "open" | "acknowledged" | "closed";
  buildingBlock?: boolean;
  originalTime?: string;
  index?: string;
  /** Store the kibana.alert.rule.* fields nested instead of dotted (a re-indexed or hand-written document). */
  nested?: boolean;
}

/** An Elastic Security detection alert as the detection engine writes it (dotted kibana.* keys, nested ECS). */
export function elasticAlert(timestamp: string, overrides: AlertOverrides = {}): FakeAlert {
  counter++;
  const uuid = overrides.uuid ?? `${String(counter).padStart(8, "0")}a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2`.slice(0, 64);
  const rule = {
    name: "Suspicious PowerShell Encoded Command",
    rule_id: "3b1b0e1b-6e5f-4d2a-9a3c-5d2f1e0c9b8a",
    uuid: "78430c9f-6d5e-4a09-b929-048a418c6220",
    severity: overrides.severity ?? "high",
    risk_score: overrides.riskScore ?? 73,
    type: "query",
    author: ["Elastic"],
    tags: ["Domain: Endpoint", "Tactic: Execution"],
    threat: [
      {
        framework: "MITRE ATT&CK",
        tactic: { id: "TA0002", name: "Execution", reference: "https://attack.mitre.org/tactics/TA0002/" },
        technique: [
          {
            id: "T1059",
            name: "Command and Scripting Interpreter",
            reference: "https://attack.mitre.org/techniques/T1059/",
            subtechnique: [{ id: "T1059.001", name: "PowerShell", reference: "https://attack.mitre.org/techniques/T1059/001/" }],
          },
        ],
      },
    ],
  };
  const kibana: Record<string, unknown> = {
    "kibana.alert.uuid": uuid,
    "kibana.alert.severity": rule.severity,
    "kibana.alert.risk_score": rule.risk_score,
    "kibana.alert.workflow_status": overrides.workflowStatus ?? "open",
    "kibana.alert.status": "active",
    "kibana.alert.original_time": overrides.originalTime ?? new Date(Date.parse(timestamp) - 180_000).toISOString(),
    "kibana.alert.reason": "process event with process powershell.exe, by alice on ws-042 created high alert Suspicious PowerShell Encoded Command.",
    "kibana.alert.depth": 1,
    "kibana.space_ids": ["default"],
    "kibana.version": "8.19.12",
    ...(overrides.buildingBlock ? { "kibana.alert.building_block_type": "default" } : {}),
  };
  if (overrides.nested) kibana["kibana.alert.rule"] = rule;
  else for (const [key, value] of Object.entries(rule)) kibana[`kibana.alert.rule.${key}`] = value;
  return {
    _id: uuid,
    _index: overrides.index,
    _source: {
      "@timestamp": timestamp,
      ...kibana,
      "event.kind": "signal",
      event: { action: "start", category: ["process"], type: ["start"], dataset: "endpoint.events.process", module: "endpoint" },
      agent: { id: "5f2a1c3e-8d7b-4e6a-9c0f-1b2d3e4f5a6b", type: "endpoint" },
      host: { name: "ws-042", hostname: "ws-042", id: "c0ffee00c0ffee00c0ffee00c0ffee00", ip: ["10.20.1.42", "fe80::1", "not-an-ip"], os: { family: "windows" } },
      user: { name: "alice", domain: "CORP" },
      source: { ip: "10.20.1.42", port: 49822 },
      destination: { ip: "203.0.113.50", port: 443, domain: "cdn.evil.example" },
      process: {
        name: "powershell.exe",
        pid: 4242,
        executable: "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        command_line: "powershell.exe -nop -w hidden -enc SQBFAFgA",
        parent: { name: "winword.exe", command_line: "\"WINWORD.EXE\" /n invoice.docm" },
        code_signature: { trusted: true, subject_name: "Microsoft Windows" },
        hash: { sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", md5: "098f6bcd4621d373cade4e832627b4f6" },
      },
      file: { path: "C:\\Users\\alice\\Downloads\\invoice.docm", hash: { sha256: "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752" } },
    },
  };
}
