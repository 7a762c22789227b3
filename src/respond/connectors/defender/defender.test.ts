import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiError, OutcomeUnknownError } from "../http.js";
import { recordingContext } from "../testing.js";
import type { ConnectorCall } from "../types.js";
import { DefenderActionSettings, createDefenderConnector } from "./index.js";
import { defenderSettings, startFakeDefender, type FakeDefender } from "./testing.js";

const call = (action: ConnectorCall["action"], args: Record<string, unknown>, extra: Partial<ConnectorCall> = {}): ConnectorCall => ({
  actionId: "a1",
  action,
  args,
  caseId: "TORA-20261124-0001",
  idempotencyKey: "nightshift-a1",
  startedAt: "2026-11-24T10:00:00Z",
  remoteRef: null,
  rollbackOf: null,
  ...extra,
});

describe("Defender for Endpoint action connector (loopback)", () => {
  let fake: FakeDefender;
  beforeEach(async () => {
    fake = await startFakeDefender();
  });
  afterEach(async () => fake.close());
  const connector = () => createDefenderConnector(DefenderActionSettings.parse(defenderSettings(fake.url)), { redact: (t) => t.split("s3cret-value").join("***") });

  it("isolates a host found by name, carrying the idempotency key in the comment, and follows the machine action", async () => {
    const ctx = recordingContext();
    const result = await connector().execute(call("isolate_host", { host: "ws-042", isolation_type: "selective" }), ctx);
    expect(result).toMatchObject({ status: "in_progress", remote_ref: "ma-1", detail: { machine_id: fake.machines[0]!.id, vendor_status: "Pending" } });
    const post = fake.requests.find((r) => r.method === "POST" && r.path.endsWith("/isolate"))!;
    expect(post.body).toEqual({ Comment: "Nightshift isolate_host for TORA-20261124-0001 [nightshift-a1]", IsolationType: "Selective" });
    expect(post.headers.authorization).toBe("Bearer tok-1");
    expect(fake.requests[0]!.raw).toContain("scope=https%3A%2F%2Fapi.securitycenter.microsoft.com%2F.default");
    const polled = await connector().poll!(call("isolate_host", { host: "ws-042" }, { remoteRef: "ma-1" }), ctx);
    expect(polled).toMatchObject({ status: "succeeded", remote_ref: "ma-1" });
  });

  it("sends each machine action to its documented path and body", async () => {
    const ctx = recordingContext();
    const id = fake.machines[1]!.id;
    await connector().execute(call("release_host", { host: "srv-web-01", device_id: id }), ctx);
    await connector().execute(call("run_av_scan", { host: "srv-web-01", device_id: id, scan_type: "full" }), ctx);
    await connector().execute(call("collect_investigation_package", { host: "srv-web-01", device_id: id }), ctx);
    await connector().execute(call("quarantine_file", { host: "srv-web-01", device_id: id, sha1: "a".repeat(40) }), ctx);
    const posts = fake.requests.filter((r) => r.method === "POST" && r.path.startsWith("/api/machines"));
    expect(posts.map((r) => r.path.split("/").pop())).toEqual(["unisolate", "runAntiVirusScan", "collectInvestigationPackage", "StopAndQuarantineFile"]);
    expect(posts[1]!.body).toMatchObject({ ScanType: "Full" });
    expect(posts[3]!.body).toMatchObject({ Sha1: "a".repeat(40) });
  });

  it("blocks and unblocks an indicator (submit-or-update, DELETE by the id the block returned)", async () => {
    const ctx = recordingContext();
    const blocked = await connector().execute(call("block_indicator", { type: "domain", value: "evil.example", expires_at: "2026-12-24T00:00:00Z" }), ctx);
    expect(blocked).toMatchObject({ status: "succeeded", detail: { indicator_id: "1" } });
    expect(fake.indicators.get("1")).toMatchObject({ indicatorValue: "evil.example", indicatorType: "DomainName", action: "Block", expirationTime: "2026-12-24T00:00:00Z" });
    const again = await connector().execute(call("block_indicator", { type: "domain", value: "evil.example" }), ctx);
    expect(again.remote_ref).toBe("1");
    expect(fake.indicators.size).toBe(1);
    const unblocked = await connector().execute(call("unblock_indicator", { type: "domain", value: "evil.example" }, { rollbackOf: { remoteRef: "1", detail: { indicator_id: "1" } } }), ctx);
    expect(unblocked.status).toBe("succeeded");
    expect(fake.indicators.size).toBe(0);
    const nothing = await connector().execute(call("unblock_indicator", { type: "domain", value: "evil.example" }), ctx);
    expect(nothing.action_taken).toMatch(/no Defender block/);
  });

  it("reports the vendor's error: unknown device, refused request", async () => {
    const ctx = recordingContext();
    await expect(connector().execute(call("isolate_host", { host: "ghost" }), ctx)).rejects.toThrow(/no Defender device named ghost/);
    fake.inject("POST /api/machines", { status: 400, body: { error: { code: "ActiveRequestAlreadyExists", message: "Action is already in progress" } } });
    const error = await connector().execute(call("isolate_host", { host: "ws-042" }), ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, code: "ActiveRequestAlreadyExists" });
  });

  it("gets a new token after a 401 and waits out a 429's Retry-After", async () => {
    const ctx = recordingContext();
    const c = connector();
    await c.execute(call("run_av_scan", { host: "ws-042" }), ctx);
    fake.tokens.revoke();
    fake.inject("POST /api/machines", { status: 429, headers: { "retry-after": "7" }, body: { error: { code: "TooManyRequests", message: "Rate limit is exceeded" } } });
    const result = await c.execute(call("run_av_scan", { host: "ws-042" }), ctx);
    expect(result.status).toBe("in_progress");
    expect(fake.tokens.issued).toEqual(["tok-1", "tok-2"]);
    expect(ctx.slept).toEqual([7000]);
  });

  it("never repeats a machine action whose answer was lost: a 5xx is an unknown outcome, and reconcile finds it by key", async () => {
    const ctx = recordingContext();
    const c = connector();
    fake.inject("POST /api/machines", { status: 502, body: "bad gateway" });
    await expect(c.execute(call("isolate_host", { host: "ws-042" }), ctx)).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(fake.requests.filter((r) => r.method === "POST" && r.path.endsWith("/isolate"))).toHaveLength(1);
    expect(await c.reconcile(call("isolate_host", { host: "ws-042" }), ctx)).toBeNull();
    // The vendor did act, but the answer was lost: the key in requestorComment finds it.
    await c.execute(call("isolate_host", { host: "ws-042" }), ctx);
    const found = await c.reconcile(call("isolate_host", { host: "ws-042" }), ctx);
    expect(found).toMatchObject({ remote_ref: "ma-1" });
    expect(await c.reconcile(call("isolate_host", { host: "ws-042" }, { idempotencyKey: "nightshift-other" }), ctx)).toBeNull();
  });

  it("a refused client secret fails without leaking it", async () => {
    const c = createDefenderConnector(DefenderActionSettings.parse({ ...defenderSettings(fake.url), client_secret: "wrong-secret" }), { redact: (t) => t.split("wrong-secret").join("***") });
    const error = (await c.execute(call("run_av_scan", { host: "ws-042" }), recordingContext()).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/401|refused/);
    expect(error.message).not.toContain("wrong-secret");
  });
});
