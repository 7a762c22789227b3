import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { fixedClock } from "../../core/index.js";
import { attachAlert, listAudit } from "../../cases/index.js";
import { storedAlert } from "../../cases/test-alerts.js";
import { loadContext } from "../../context/index.js";
import { DEFAULT_POLICY, requestAction, type ResponseAction } from "../../respond/index.js";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { ValidationError } from "../../core/index.js";
import { createHttpApp } from "../app.js";
import { createTestClient, type TestClient } from "../testing.js";

describe(`response routes (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let client: TestClient;
  const clock = fixedClock("2026-11-24T10:00:00.000Z", 1000);

  beforeEach(async () => {
    env = await openTestEnvironment();
    client = await createTestClient({ db: env.store.db, config: env.config, clock });
    await loadContext(env.store.db, {
      assets: [
        { hostname: "ws-042", criticality: "medium", environment: "production" },
        { hostname: "dc-01", criticality: "critical", environment: "production" },
        { hostname: "plc-01", criticality: "high", environment: "ot", do_not_touch: true },
      ],
    });
  });
  afterEach(async () => env.cleanup());

  async function pending(host = "ws-042", criticality: "medium" | "critical" = "medium"): Promise<ResponseAction> {
    const alert = await storedAlert(env.store.db, { host });
    const caseId = (await attachAlert(env.store.db, alert, { windowMinutes: 60 }, clock)).caseId;
    return requestAction(env.store.db, { case_id: caseId, action: "isolate_host", args: { host }, requested_by: { kind: "agent", name: "ARIA" }, rationale: "C2", facts: { criticality, environment: "production" } }, { policy: DEFAULT_POLICY, clock });
  }

  it("lists pending actions to viewers; only analysts and admins decide", async () => {
    const action = await pending();
    const listed = await client.request("/api/v1/response/actions?status=pending_approval", { as: "viewer" });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { actions: ResponseAction[] }).actions.map((a) => a.id)).toEqual([action.id]);
    expect((await client.request(`/api/v1/response/actions/${action.id}/approve`, { method: "POST", as: "viewer", json: {} })).status).toBe(403);
    const approved = await client.request(`/api/v1/response/actions/${action.id}/approve`, { method: "POST", as: "analyst", json: { note: "ok", args_hash: action.args_hash } });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ status: "approved", approvals: [{ approver: "analyst-test", role: "analyst" }] });
    expect((await client.request(`/api/v1/response/actions/${action.id}/deny`, { method: "POST", as: "admin", json: {} })).status).toBe(409);
    const audit = await listAudit(env.store.db, { caseId: action.case_id! });
    expect(audit.at(-1)).toMatchObject({ action: "response.approved", actor: { kind: "human", name: "analyst-test" } });
  });

  it("two approvals from two different tokens; the same person twice is refused", async () => {
    const action = await pending("dc-01", "critical");
    expect(action.approvals_required).toBe(2);
    const path = `/api/v1/response/actions/${action.id}/approve`;
    expect(((await (await client.request(path, { method: "POST", as: "analyst", json: {} })).json()) as ResponseAction).status).toBe("pending_approval");
    expect((await client.request(path, { method: "POST", as: "analyst", json: {} })).status).toBe(409);
    expect(((await (await client.request(path, { method: "POST", as: "admin", json: {} })).json()) as ResponseAction).status).toBe("approved");
  });

  it("edit-then-approve looks the new target up in the CMDB and re-checks the policy", async () => {
    const action = await pending();
    const refused = await client.request(`/api/v1/response/actions/${action.id}/edit`, { method: "POST", as: "analyst", json: { args: { host: "plc-01" } } });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: string }).error).toMatch(/forbidden/);
    const bad = await client.request(`/api/v1/response/actions/${action.id}/edit`, { method: "POST", as: "analyst", json: { args: { host: "x", force: true } } });
    expect(bad.status).toBe(400);
    const edited = await client.request(`/api/v1/response/actions/${action.id}/edit`, { method: "POST", as: "analyst", json: { args: { host: "dc-01" }, note: "the DC is the one" } });
    expect(edited.status).toBe(201);
    const body = (await edited.json()) as { superseded: ResponseAction; action: ResponseAction };
    expect(body.superseded.status).toBe("superseded");
    expect(body.action).toMatchObject({ status: "pending_approval", approvals_required: 2, target: "dc-01", policy: { rule: "disruptive-critical" } });
  });

  it("explains the policy for an asset and serves the policy in force; both in the OpenAPI document", async () => {
    const check = await client.request("/api/v1/response/policy/check", { method: "POST", as: "viewer", json: { action: "isolate_host", asset: "plc-01" } });
    expect(await check.json()).toMatchObject({ decision: "forbidden", rule: "guardrail:do-not-touch" });
    const scan = await client.request("/api/v1/response/policy/check", { method: "POST", as: "viewer", json: { action: "run_av_scan", asset: "ws-042", confidence: 70 } });
    expect(await scan.json()).toMatchObject({ decision: "auto_then_notify", rule: "non-disruptive", facts: { criticality: "medium", environment: "production" } });
    expect(await (await client.request("/api/v1/response/policy", { as: "viewer" })).json()).toMatchObject({ default: "needs_approval" });
    const doc = (await (await client.request("/api/docs", { as: "viewer" })).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/v1/response/actions", "/api/v1/response/actions/{id}/approve", "/api/v1/response/actions/{id}/edit", "/api/v1/response/policy/check"]));
    expect((await client.request("/api/v1/response/actions")).status).toBe(401);
  });

  it("a bad policy file or action connector stops the server at startup, naming the setting", () => {
    const file = path.join(env.home, "policy.yaml");
    writeFileSync(file, "rules: [{name: a, when: {colour: red}, decision: auto}]\n");
    const withPolicy = { ...env.config, respond: { ...env.config.respond, policy_file: file } };
    expect(() => createHttpApp({ db: env.store.db, config: withPolicy, clock })).toThrow(ValidationError);
    const withConnector = { ...env.config, respond: { ...env.config.respond, connectors: [{ name: "x", kind: "edr9000" }] } };
    try {
      createHttpApp({ db: env.store.db, config: withConnector, clock });
      throw new Error("expected an error");
    } catch (error) {
      expect((error as ValidationError).issues[0]!.path).toBe("respond.connectors[0].kind");
    }
  });
});
