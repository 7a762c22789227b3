import type { Fault } from "../fault.js";
import { createServer, type Server } from "node:http";
import { listenOnLoopback, readRequestBody } from "../../../core/index.js";

/**
 * A loopback Wazuh indexer: `POST /<index>/_search` as OpenSearch answers it — basic auth, a bool
 * filter of `range` clauses, sort on timestamp then a tiebreaker field, `search_after`, `size` — over
 * documents held in memory. Scripted faults are served first, one per request.
 */
export interface FakeDoc {
  _id: string;
  _index?: string;
  _source: Record<string, unknown> & { timestamp: string };
}

export type { Fault } from "../fault.js";

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

export interface FakeIndexer {
  url: string;
  docs: FakeDoc[];
  faults: Fault[];
  requests: RecordedRequest[];
  /** Leaves the n-th request (1-based) unanswered; resolves when it arrives (to kill a client mid-run). */
  hold(n: number): Promise<void>;
  close(): Promise<void>;
}

const ms = (timestamp: string) => Date.parse(timestamp.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));



function field(source: Record<string, unknown>, path: string): unknown {
  return path.split(".").reduce<unknown>((node, key) => (node && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined), source);
}

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

type Range = { gte?: string | number; gt?: string | number };

export async function startFakeIndexer(options: { username: string; password: string; docs?: FakeDoc[] }): Promise<FakeIndexer> {
  const expected = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString("base64")}`;
  const state = { docs: [...(options.docs ?? [])], faults: [] as Fault[], requests: [] as RecordedRequest[] };
  const holds = new Map<number, () => void>();
  const server: Server = createServer(async (req, res) => {
    const text = await readRequestBody(req);
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]!);
    state.requests.push({ method: req.method ?? "", path, authorization: req.headers.authorization, body });
    const held = holds.get(state.requests.length);
    if (held) return held();
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(typeof payload === "string" ? payload : JSON.stringify(payload));
    };
    const fault = state.faults.shift();
    if (fault) return send(fault.status, fault.body ?? { error: { type: "fault", reason: `scripted ${fault.status}` }, status: fault.status }, fault.headers);
    if (req.headers.authorization !== expected)
      return send(401, { error: { type: "security_exception", reason: "Unauthorized" }, status: 401 }, { "www-authenticate": 'Basic realm="OpenSearch Security"' });
    const match = /^\/([^/]+)\/_search$/.exec(path);
    if (req.method !== "POST" || !match) return send(404, { error: "no handler", status: 404 });
    const pattern = new RegExp(`^${match[1]!.split(",").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")).join("|")}$`);

    const filters = ((body.query as { bool?: { filter?: unknown[] } })?.bool?.filter ?? []) as { range: Record<string, Range> }[];
    const sortSpec = (body.sort ?? []) as Record<string, { order: string }>[];
    const sortFields = sortSpec.map((s) => Object.keys(s)[0]!);
    const sortValues = (doc: FakeDoc) => sortFields.map((f) => (f === "timestamp" ? ms(doc._source.timestamp) : field(doc._source, f) ?? null));
    let hits = state.docs.filter((doc) => pattern.test(doc._index ?? "wazuh-alerts-4.x-2026.11.24"));
    for (const { range } of filters) {
      const [name, bounds] = Object.entries(range)[0]!;
      const value = (doc: FakeDoc) => (name === "timestamp" ? ms(doc._source.timestamp) : Number(field(doc._source, name)));
      const bound = (v: string | number) => (name === "timestamp" ? (typeof v === "number" ? v : ms(v)) : Number(v));
      if (bounds.gte !== undefined) hits = hits.filter((doc) => value(doc) >= bound(bounds.gte!));
      if (bounds.gt !== undefined) hits = hits.filter((doc) => value(doc) > bound(bounds.gt!));
    }
    hits.sort((a, b) => compare(sortValues(a), sortValues(b)));
    const after = body.search_after as unknown[] | undefined;
    if (after) hits = hits.filter((doc) => compare(sortValues(doc), after) > 0);
    const size = typeof body.size === "number" ? body.size : 10;
    const page = hits.slice(0, size).map((doc) => ({
      _index: doc._index ?? "wazuh-alerts-4.x-2026.11.24",
      _id: doc._id,
      _score: null,
      _source: doc._source,
      sort: sortValues(doc),
    }));
    send(200, { took: 1, timed_out: false, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 }, hits: { max_score: null, hits: page } });
  });
  const loopback = await listenOnLoopback(server);
  return {
    url: loopback.url,
    get docs() {
      return state.docs;
    },
    faults: state.faults,
    requests: state.requests,
    hold: (n) => new Promise<void>((resolve) => holds.set(n, resolve)),
    close: loopback.close,
  };
}

let counter = 0;
/** A Wazuh alert document as the indexer stores it. */
export function wazuhDoc(timestamp: string, overrides: { id?: string; level?: number; mitre?: string[]; srcip?: string; index?: string } = {}): FakeDoc {
  counter++;
  const alertId = overrides.id ?? `1764000000.${String(counter).padStart(6, "0")}`;
  return {
    _id: `doc-${alertId}`,
    _index: overrides.index,
    _source: {
      timestamp,
      id: alertId,
      rule: {
        id: "5710",
        level: overrides.level ?? 5,
        description: "sshd: Attempt to login using a non-existent user",
        groups: ["syslog", "sshd", "authentication_failed"],
        mitre: { id: overrides.mitre ?? ["T1110.001"], tactic: ["Credential Access"], technique: ["Password Guessing"] },
      },
      agent: { id: "001", name: "web-01", ip: "10.0.0.5" },
      manager: { name: "wazuh-manager" },
      decoder: { name: "sshd" },
      location: "/var/log/auth.log",
      full_log: `Nov 24 10:00:00 web-01 sshd[1234]: Invalid user admin from ${overrides.srcip ?? "203.0.113.7"} port 50522`,
      data: { srcip: overrides.srcip ?? "203.0.113.7", srcport: "50522", srcuser: "admin" },
    },
  };
}
