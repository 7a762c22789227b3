import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { fixedClock } from "../../core/index.js";
import { appendAudit } from "../../cases/index.js";
import { createTestClient, type TestClient } from "../testing.js";

describe(`audit routes (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let client: TestClient;
  const clock = fixedClock("2026-11-24T10:00:00Z", 1000);
  beforeEach(async () => {
    env = await openTestEnvironment();
    client = await createTestClient({ db: env.store.db, config: env.config, clock });
    for (const [n, caseId] of [[1, "TORA-20261124-0001"], [2, "TORA-20261124-0002"], [3, "TORA-20261124-0001"]] as const)
      await appendAudit(env.store.db, { actor: { kind: "system", name: "test" }, action: `step.${n}`, caseId }, clock);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("needs a token; viewers read and verify; a write method is not a route", async () => {
    expect((await client.request("/api/v1/audit")).status).toBe(401);
    expect((await client.request("/api/v1/audit/verify")).status).toBe(401);
    expect((await client.request("/api/v1/audit", { as: "viewer" })).status).toBe(200);
    expect((await client.request("/api/v1/audit/verify", { as: "viewer" })).status).toBe(200);
    expect((await client.request("/api/v1/audit", { method: "POST", as: "admin", json: {} })).status).toBe(404);
  });

  it("lists events in chain order, by case and after a seq", async () => {
    type Events = { events: { seq: number; action: string; case_id: string }[] };
    const all = (await (await client.request("/api/v1/audit", { as: "viewer" })).json()) as Events;
    expect(all.events.map((e) => e.action)).toEqual(["step.1", "step.2", "step.3"]);
    const forCase = (await (await client.request("/api/v1/audit?case_id=TORA-20261124-0001", { as: "viewer" })).json()) as Events;
    expect(forCase.events.map((e) => e.action)).toEqual(["step.1", "step.3"]);
    const after = (await (await client.request(`/api/v1/audit?after_seq=${all.events[0]!.seq}&limit=1`, { as: "viewer" })).json()) as Events;
    expect(after.events.map((e) => e.action)).toEqual(["step.2"]);
    expect((await client.request("/api/v1/audit?after_seq=-1", { as: "viewer" })).status).toBe(400);
  });

  it("verifies the chain and names the first broken event after tampering", async () => {
    const ok = await (await client.request("/api/v1/audit/verify", { as: "viewer" })).json();
    expect(ok).toMatchObject({ ok: true, checked: 3, firstBroken: null });
    await env.store.db.updateTable("audit_events").set({ action: "step.forged" }).where("action", "=", "step.2").execute();
    const broken = (await (await client.request("/api/v1/audit/verify", { as: "viewer" })).json()) as {
      ok: boolean;
      firstBroken: { seq: number; reason: string };
    };
    expect(broken.ok).toBe(false);
    expect(broken.firstBroken.seq).toBe(2);
  });
});
