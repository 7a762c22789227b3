import { startFakeApi, type FakeApi } from "../testing.js";

/**
 * A loopback Microsoft Defender for Endpoint: machines, machine actions (201 + MachineAction, status Pending,
 * then Succeeded on the next GET), indicators (submit-or-update by value, DELETE → 204), Microsoft's error
 * body for unknown ids, and the OAuth token endpoint of startFakeApi.
 */
export interface FakeDefender extends FakeApi {
  machines: { id: string; computerDnsName: string }[];
  actions: Map<string, Record<string, unknown>>;
  indicators: Map<string, Record<string, unknown>>;
  /** While set, a machine action is created but its answer never sent (a worker killed mid-call never gets it). */
  hang: { machineActions: boolean };
}

export async function startFakeDefender(): Promise<FakeDefender> {
  const machines = [
    { id: "1e5bc9d7e413ddd7902c2932e418702b84d0cc07", computerDnsName: "ws-042.corp.example" },
    { id: "7f1a0000aaaabbbbccccddddeeeeffff00001111", computerDnsName: "srv-web-01.corp.example" },
  ];
  const actions = new Map<string, Record<string, unknown>>();
  const indicators = new Map<string, Record<string, unknown>>();
  let seq = 0;
  const hang = { machineActions: false };
  const notFound = (what: string) => ({ status: 404, body: { error: { code: "ResourceNotFound", message: `${what} was not found`, target: "00000000-0000-0000-0000-000000000000" } } });
  const api = await startFakeApi((req) => {
    const filter = req.query.get("$filter") ?? "";
    if (req.method === "GET" && req.path === "/api/machines") {
      const name = /computerDnsName eq '([^']*)'/.exec(filter)?.[1] ?? "";
      return { status: 200, body: { value: machines.filter((m) => m.computerDnsName === name || m.computerDnsName.startsWith(`${name}.`)) } };
    }
    const post = /^\/api\/machines\/([^/]+)\/(\w+)$/.exec(req.path);
    if (req.method === "POST" && post) {
      const machine = machines.find((m) => m.id === post[1]);
      if (!machine) return notFound(`Machine ${post[1]}`);
      const body = req.body as { Comment?: string };
      if (!body?.Comment) return { status: 400, body: { error: { code: "InvalidRequestBody", message: "Comment is required" } } };
      const type = { isolate: "Isolate", unisolate: "Unisolate", runAntiVirusScan: "RunAntiVirusScan", collectInvestigationPackage: "CollectInvestigationPackage", StopAndQuarantineFile: "StopAndQuarantineFile" }[post[2]!];
      if (!type) return notFound(`Action ${post[2]}`);
      const id = `ma-${++seq}`;
      const action = { id, type, scope: (req.body as { IsolationType?: string }).IsolationType ?? null, requestor: "app", requestorComment: body.Comment, status: "Pending", machineId: machine.id, computerDnsName: machine.computerDnsName, creationDateTimeUtc: "2026-11-24T10:00:00Z" };
      actions.set(id, action);
      if (hang.machineActions) return new Promise<never>(() => {});
      return { status: 201, body: action };
    }
    const get = /^\/api\/machineactions\/([^/]+)$/.exec(req.path);
    if (req.method === "GET" && get) {
      const action = actions.get(get[1]!);
      if (!action) return notFound(`MachineAction ${get[1]}`);
      action.status = "Succeeded";
      return { status: 200, body: action };
    }
    if (req.method === "GET" && req.path === "/api/machineactions") {
      const machine = /machineId eq '([^']*)'/.exec(filter)?.[1];
      const type = /type eq '([^']*)'/.exec(filter)?.[1];
      return { status: 200, body: { value: [...actions.values()].filter((a) => a.machineId === machine && a.type === type) } };
    }
    if (req.method === "POST" && req.path === "/api/indicators") {
      const body = req.body as Record<string, unknown>;
      for (const field of ["indicatorValue", "indicatorType", "action", "title", "description"])
        if (!body?.[field]) return { status: 400, body: { error: { code: "InvalidRequestBody", message: `${field} is required` } } };
      const existing = [...indicators.values()].find((i) => i.indicatorValue === body.indicatorValue);
      const id = (existing?.id as string | undefined) ?? String(++seq);
      const indicator = { ...body, id };
      indicators.set(id, indicator);
      return { status: 200, body: indicator };
    }
    if (req.method === "GET" && req.path === "/api/indicators") {
      const value = /indicatorValue eq '([^']*)'/.exec(filter)?.[1];
      return { status: 200, body: { value: [...indicators.values()].filter((i) => i.indicatorValue === value) } };
    }
    const del = /^\/api\/indicators\/([^/]+)$/.exec(req.path);
    if (req.method === "DELETE" && del) {
      if (!indicators.delete(del[1]!)) return notFound(`Indicator ${del[1]}`);
      return { status: 204 };
    }
    return notFound(req.path);
  });
  return Object.assign(api, { machines, actions, indicators, hang });
}

export function defenderSettings(url: string) {
  return { name: "mde", kind: "defender", tenant_id: "contoso", client_id: "app-1", client_secret: "s3cret-value", authority_url: url, api_url: url, max_attempts: 3 };
}
