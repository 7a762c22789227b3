import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { insertEvents, toNewEvent } from "../../events/index.js";
import { callTool } from "./call.js";
import { CREW_TOOLS, toolByName, toolsFor } from "./registry.js";
import { HASH, seedWorld, testToolContext } from "./testing.js";
import type { ToolContext } from "./tool.js";

type World = Awaited<ReturnType<typeof seedWorld>>;
// Tool results are JSON read back in assertions: walked freely, checked by the expectations themselves.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function ok(name: string, args: unknown, ctx: ToolContext): Promise<Record<string, Json>> {
  const result = await callTool(name, args, ctx);
  if (!result.ok) throw new Error(`${name} failed: ${result.content}`);
  expect(result.tokens).toBeLessThanOrEqual(ctx.budget.maxTokens);
  return JSON.parse(result.content) as Record<string, Json>;
}

describe(`crew tools (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let world: World;
  beforeEach(async () => {
    env = await openTestEnvironment();
    world = await seedWorld(env.store.db);
  });
  afterEach(async () => {
    await env.cleanup();
  });
  const ctx = (options: Parameters<typeof testToolContext>[1] = {}) => testToolContext(env.store.db, { caseId: world.caseA, ...options });

  it("registers every tool once, each with a described input, and offers tiers their own", () => {
    const names = CREW_TOOLS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const tool of CREW_TOOLS) {
      expect(tool.description.length).toBeGreaterThan(40);
      expect(toolByName(tool.name)).toBe(tool);
      // What a model and an MCP client see: an object whose every argument says what it is.
      const schema = z.toJSONSchema(tool.input, { io: "input", unrepresentable: "any" }) as { type: string; properties: Record<string, { description?: string }> };
      expect(schema.type, tool.name).toBe("object");
      for (const [field, property] of Object.entries(schema.properties)) expect(property.description, `${tool.name}.${field}`).toBeTruthy();
    }
    expect(toolsFor("VERA").map((t) => t.name)).toEqual(expect.arrayContaining(["process_tree", "propose_action", "search_events"]));
    expect(toolsFor("TORA").map((t) => t.name)).not.toContain("propose_action");
    expect(toolsFor("NOVA")).toEqual([]);
  });

  it("get_alert and get_case return the alert, the case, its alerts, comments and decisions", async () => {
    const alert = await ok("get_alert", { alert_id: world.alerts.first.id }, ctx());
    expect(alert).toMatchObject({ case_id: world.caseA, alert: { id: world.alerts.first.id, host: { name: "ws-01" } } });
    const c = await ok("get_case", { case_id: world.caseA.replace(/^TORA-/, "VERA-") }, ctx());
    expect(c.case.id).toBe(world.caseA);
    expect(c.alerts).toEqual([expect.objectContaining({ alert_id: world.alerts.first.id, host: "ws-01", user: "jdoe", dst: "c2.evil.example" })]);
    expect(c.comments).toEqual([]);
    expect(c.decisions).toEqual([]);
    const missing = await callTool("get_case", { case_id: "TORA-20991231-9999" }, ctx());
    expect(missing).toMatchObject({ ok: false, error: { code: "not_found" } });
  });

  it("search_events filters, projects, caps the limit at 200, pages by cursor and aggregates", async () => {
    const found = await ok("search_events", { host: "ws-01", process: "cmd", fields: ["CommandLine"] }, ctx());
    expect(found.total).toBe(1);
    expect(found.events[0].data).toEqual({ CommandLine: "C:\\Windows\\System32\\cmd.exe --run 2" });

    const many = Array.from({ length: 260 }, (_, i) => toNewEvent({ Channel: "Security", EventID: 4624, Computer: "ws-01", TargetUserName: "jdoe", n: i, "@timestamp": `2026-11-24T11:${String(Math.floor(i / 60)).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}Z` }, { file: "sec.json", record: i }, "2026-11-24T12:00:00.000Z"));
    await insertEvents(env.store.db, many);
    const big = testToolContext(env.store.db, { caseId: world.caseA, maxTokens: 200_000 });
    const first = await ok("search_events", { event_id: 4624, limit: 5000, fields: ["n"] }, big);
    expect(first.returned).toBe(200);
    expect(first.total).toBe(260);
    const second = await ok("search_events", { event_id: 4624, limit: 5000, fields: ["n"], cursor: first.next_cursor }, big);
    expect(second.returned).toBe(60);
    expect(second.next_cursor).toBeNull();

    const counts = await ok("search_events", { aggregate: { count_by: "host" } }, ctx());
    expect(counts.counts[0]).toEqual({ key: "ws-01", count: 260 });
    expect(counts.counts).toContainEqual({ key: "ws-01.corp.local", count: 3 });
    expect(counts.counts).toContainEqual({ key: "ws-02", count: 1 });

    const bad = await callTool("search_events", { filters: [{ field: "bad field!", value: "x" }] }, ctx());
    expect(bad).toMatchObject({ ok: false, error: { code: "invalid_arguments" } });
    expect(bad.error!.message).toContain("filters.0.field");
  });

  it("a large search comes back as a page and a handle; read_result reads on", async () => {
    const many = Array.from({ length: 150 }, (_, i) => toNewEvent({ Channel: "Security", EventID: 4688, Computer: "ws-01", n: i, CommandLine: `powershell -enc ${"QUJD".repeat(50)} ${i}`, "@timestamp": `2026-11-24T11:${String(Math.floor(i / 60)).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}Z` }, { file: "p.json", record: i }, "2026-11-24T12:00:00.000Z"));
    await insertEvents(env.store.db, many);
    const small = ctx({ maxTokens: 1500 });
    const page1 = await ok("search_events", { event_id: 4688, limit: 200, order: "asc" }, small);
    expect(page1).toMatchObject({ handle: "r-1", total_items: 150, page: 1, next_page: 2, total: 150 });
    const page2 = await ok("read_result", { handle: "r-1", page: 2 }, small);
    expect(page2.offset).toBe(page1.returned);
    expect(page2.events[0].data.n).toBe(page1.returned);
    const none = await callTool("read_result", { handle: "r-9" }, small);
    expect(none).toMatchObject({ ok: false, error: { code: "not_found" } });
  });

  it("events_around and process_tree reconstruct what happened on the host", async () => {
    const around = await ok("events_around", { host: "ws-01", time: "2026-11-24T09:02:00Z", window_minutes: 1 }, ctx());
    expect(around.events.map((e: { process: string }) => e.process.split("\\").pop())).toEqual(["explorer.exe", "cmd.exe", "evil.exe"]);
    const noTarget = await callTool("events_around", { time: "2026-11-24T09:02:00Z" }, ctx());
    expect(noTarget.error).toMatchObject({ code: "invalid_arguments" });
    expect(noTarget.error!.message).toContain("host");

    const tree = await ok("process_tree", { host: "ws-01", process_id: 300, time: "2026-11-24T09:05:00Z" }, ctx());
    expect(tree.tree.event.process).toContain("explorer.exe");
    expect(tree.tree.children[0].children[0].event.process).toContain("evil.exe");
    const none = await callTool("process_tree", { host: "ws-01", process_id: 999 }, ctx());
    expect(none.error?.code).toBe("not_found");
  });

  it("get_asset merges the CMDB with the EDR inventory; an address resolves to its host", async () => {
    const asset = await ok("get_asset", { host: "WS-01" }, ctx());
    expect(asset.asset).toMatchObject({ hostname: "ws-01", criticality: "high", environment: "production", os: "Windows 11", device_id: "dev-1", health: "Active" });
    expect(asset.provenance.map((p: { source: string }) => p.source)).toEqual(["cmdb", "defender"]);
    const byIp = await ok("get_asset", { host: "10.1.2.42", time: "2026-11-24T09:00:00Z" }, ctx());
    expect(byIp.asset.hostname).toBe("ws-01");
    const inventoryOnly = await ok("get_asset", { host: "srv-9" }, ctx());
    expect(inventoryOnly.asset.criticality).toBeUndefined();
    expect((await callTool("get_asset", { host: "nowhere" }, ctx())).error?.code).toBe("not_found");
  });

  it("get_identity finds a user in any form", async () => {
    const id = await ok("get_identity", { username: "CORP\\JDoe" }, ctx());
    expect(id.identity).toMatchObject({ username: "jdoe", user_type: "human", privilege_level: "standard", risk_score: 40 });
    expect((await callTool("get_identity", { username: "ghost" }, ctx())).error?.code).toBe("not_found");
  });

  it("lookup_indicator matches parent domains and reports expired intel as expired", async () => {
    const domain = await ok("lookup_indicator", { value: "c2.evil.example", time: "2026-11-24T09:00:00Z" }, ctx());
    expect(domain).toMatchObject({ type: "domain", verdict: "malicious" });
    expect(domain.matches[0]).toMatchObject({ indicator: "evil.example", matched_value: "c2.evil.example", source_count: 42, source_total: 60, match: "parent_domain", ioc_age_days: 23.3 });
    const old = await ok("lookup_indicator", { value: "203.0.113.9", time: "2026-11-24T09:00:00Z" }, ctx());
    expect(old).toMatchObject({ type: "ip", verdict: "unknown", matches: [] });
    expect(old.expired_match).toMatchObject({ indicator: "203.0.113.9", expires_at: "2026-06-01T00:00:00.000Z" });
    const unknown = await ok("lookup_indicator", { value: HASH }, ctx());
    expect(unknown).toMatchObject({ type: "file_hash", verdict: "unknown", matches: [], expired_match: null });
  });

  it("similar_cases finds the case sharing the domain and the rule, not the unrelated one", async () => {
    const similar = await ok("similar_cases", { case_id: world.caseA }, ctx());
    expect(similar.cases.map((c: { case_id: string }) => c.case_id)).toEqual([world.caseB]);
    expect(similar.cases[0]).toMatchObject({ same_rule: true, status: "new", outcome: "open" });
    expect(similar.cases[0].shared).toContainEqual({ type: "domain", value: "c2.evil.example" });
  });

  it("list_devices and get_device read the EDR inventory", async () => {
    const all = await ok("list_devices", {}, ctx());
    expect(all.devices.map((d: { device: { hostname: string } }) => d.device.hostname)).toEqual(["WS-01", "srv-9"]);
    const inactive = await ok("list_devices", { health: "inactive", source: "defender" }, ctx());
    expect(inactive).toMatchObject({ total: 1, devices: [{ device: { device_id: "dev-9" } }] });
    const byName = await ok("list_devices", { hostname_contains: "WS" }, ctx());
    expect(byName.total).toBe(1);
    const device = await ok("get_device", { device_id: "dev-1" }, ctx());
    expect(device).toMatchObject({ hostname: "ws-01", records: [{ source: "defender", device: { os_version: "23H2" } }] });
    expect((await callTool("get_device", { hostname: "ghost" }, ctx())).error?.code).toBe("not_found");
  });

  it("reports unknown tools, bad arguments with paths, and refuses writes to a viewer", async () => {
    expect(await callTool("rm_rf", {}, ctx())).toMatchObject({ ok: false, error: { code: "unknown_tool" } });
    const bad = await callTool("get_alert", { alert_id: 42 }, ctx());
    expect(bad.error?.code).toBe("invalid_arguments");
    expect(bad.error?.message).toContain("alert_id");
    expect(JSON.parse(bad.content)).toEqual({ error: bad.error });
    const viewer = testToolContext(env.store.db, { agent: null, role: "viewer" });
    const refused = await callTool("add_case_comment", { case_id: world.caseA, body: "hi" }, viewer);
    expect(refused.error?.code).toBe("forbidden");
    const comments = await env.store.db.selectFrom("comments").selectAll().execute();
    expect(comments).toEqual([]);
    // A tier calling a tool it was not offered gets unknown_tool.
    const tora = ctx({ agent: "TORA" });
    expect((await callTool("propose_action", { case_id: world.caseA, action: "isolate_host", target: "ws-01", rationale: "x" }, tora)).error?.code).toBe("unknown_tool");
  });

  it("shift memory: written (staged on a run, at once over MCP), read back for the agent and shift only", async () => {
    const run = ctx({ agent: "TORA" });
    const staged = await ok("write_shift_memory", { key: "repeat:evil.example", value: { count: 2 } }, run);
    expect(staged).toMatchObject({ staged: true, agent: "TORA" });
    expect(run.staged).toEqual([{ kind: "memory_write", agent: "TORA", shift: "2026-11-24", key: "repeat:evil.example", value: { count: 2 }, case_id: world.caseA }]);
    expect(await ok("read_shift_memory", {}, run)).toMatchObject({ entries: [] });

    const mcp = testToolContext(env.store.db, { agent: null });
    await ok("write_shift_memory", { key: "posture", value: "elevated", agent: "TORA" }, mcp);
    await ok("write_shift_memory", { key: "posture", value: "calm", agent: "TORA" }, mcp);
    await ok("write_shift_memory", { key: "other", value: 1, agent: "VERA" }, mcp);
    const read = await ok("read_shift_memory", {}, run);
    expect(read.entries).toEqual([{ key: "posture", value: "calm", case_id: null, updated_at: expect.any(String) }]);
    const nextShift = testToolContext(env.store.db, { agent: "TORA", caseId: world.caseA, shift: "2026-11-25" });
    expect((await ok("read_shift_memory", {}, nextShift)).entries).toEqual([]);
    expect((await callTool("read_shift_memory", { agent: "VERA" }, run)).error?.code).toBe("forbidden");
    const tooBig = await callTool("write_shift_memory", { key: "k", value: "x".repeat(5000) }, run);
    expect(tooBig.error?.code).toBe("invalid_arguments");
  });
});
