import { startFakeApi, type FakeApi } from "../testing.js";
import { PASSWORD_METHOD_ID } from "./actions.js";

/**
 * A loopback Microsoft Graph: users (PATCH accountEnabled → 204), revokeSignInSessions (200 `{value: true}`,
 * moves signInSessionsValidFromDateTime), the password method's resetPassword (202 + Location of a
 * long-running operation; the body carries a generated password the connector must ignore), operations, and
 * Graph's error body (`Request_ResourceNotFound`).
 */
export interface FakeGraph extends FakeApi {
  users: Map<string, { accountEnabled: boolean; signInSessionsValidFromDateTime: string; lastPasswordChangeDateTime: string }>;
  now: { value: string };
}

export async function startFakeGraph(): Promise<FakeGraph> {
  const users = new Map([["jdoe@corp.example", { accountEnabled: true, signInSessionsValidFromDateTime: "2026-01-01T00:00:00Z", lastPasswordChangeDateTime: "2026-01-01T00:00:00Z" }]]);
  const now = { value: "2026-11-24T10:00:05Z" };
  let base = "";
  const api = await startFakeApi((req) => {
    const m = /^\/v1\.0\/users\/([^/]+)(\/.*)?$/.exec(req.path);
    if (req.path.startsWith("/v1.0/operations/")) return { status: 200, body: { id: req.path.split("/").pop(), status: "succeeded", createdDateTime: now.value } };
    if (!m) return { status: 404, body: { error: { code: "BadRequest", message: `Resource not found for the segment '${req.path}'.` } } };
    const id = decodeURIComponent(m[1]!);
    const u = users.get(id);
    if (!u) return { status: 404, body: { error: { code: "Request_ResourceNotFound", message: `Resource '${id}' does not exist or one of its queried reference-property objects are not present.` } } };
    const rest = m[2] ?? "";
    if (req.method === "PATCH" && rest === "") {
      u.accountEnabled = Boolean((req.body as { accountEnabled: boolean }).accountEnabled);
      return { status: 204 };
    }
    if (req.method === "GET" && rest === "") return { status: 200, body: { id, ...u } };
    if (req.method === "POST" && rest === "/revokeSignInSessions") {
      u.signInSessionsValidFromDateTime = now.value;
      return { status: 200, body: { "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean", value: true } };
    }
    if (req.method === "POST" && rest === `/authentication/methods/${PASSWORD_METHOD_ID}/resetPassword`) {
      u.lastPasswordChangeDateTime = now.value;
      return { status: 202, headers: { location: `${base}/v1.0/operations/op-1` }, body: { newPassword: "Generated-Secret-123" } };
    }
    return { status: 405, body: { error: { code: "Request_BadRequest", message: "method not allowed" } } };
  });
  base = api.url;
  return Object.assign(api, { users, now });
}

export function entraSettings(url: string) {
  return { name: "entra", kind: "entra", tenant_id: "contoso", client_id: "app-1", client_secret: "s3cret-value", authority_url: url, graph_url: url, max_attempts: 3 };
}
