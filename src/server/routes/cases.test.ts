import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { fixedClock } from "../../core/index.js";
import { attachAlert } from "../../cases/index.js";
import { getAlert } from "../../ingest/index.js";
import { toJson } from "../../store/index.js";
import { createTestClient, type TestClient } from "../testing.js";

const NOW = "2026-11-24T10:00:00.000Z";

interface CaseJson {
  id: string;
  status: string;
  verdict: string | null;
  priority: string | null;
  severity: string;
  tags: string[];
  alert_ids: string[];
  assignee: { kind: string; name: string } | null;
}

describe(`cases routes (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let client: TestClient;
  const clock = fixedClock(NOW, 1000);

  /** Ingests alerts through the API and groups them the way the cases stage does. */
  async function caseFrom(alerts: Record<string, unknown>[]): Promise<string> {
    const res = await client.request("/api/v1/alerts", { method: "POST", as: "analyst", json: alerts });
    expect(res.status).toBe(202);
    const { ids } = (await res.json()) as { ids: string[] };
    let caseId = "";
    for (const id of ids) caseId = (await attachAlert(env.store.db, (await getAlert(env.store.db, id))!, { windowMinutes: 240 }, clock)).caseId;
    return caseId;
  }

  beforeEach(async () => {
    env = await openTestEnvironment();
    client = await createTestClient({ db: env.store.db, config: env.config, clock });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("applies the role matrix: anonymous 401, viewer reads but may not write, analyst writes", async () => {
    const id = await caseFrom([{ title: "C2 beacon", source: "zeek", source_id: "1", host: "ws-1", dst: "evil.example" }]);
    const writes = [
      { path: `/api/v1/cases/${id}`, method: "PATCH", json: { priority: "P2" } },
      { path: `/api/v1/cases/${id}/transition`, method: "POST", json: { to: "in_progress" } },
      { path: `/api/v1/cases/${id}/comments`, method: "POST", json: { body: "looking" } },
    ];
    for (const write of writes) {
      expect((await client.request(write.path, write)).status, `${write.method} ${write.path} anonymous`).toBe(401);
      expect((await client.request(write.path, { ...write, as: "viewer" })).status, `${write.method} ${write.path} viewer`).toBe(403);
    }
    for (const suffix of ["", "/comments", "/similar", "/audit", "/decisions"]) {
      expect((await client.request(`/api/v1/cases/${id}${suffix}`)).status).toBe(401);
      expect((await client.request(`/api/v1/cases/${id}${suffix}`, { as: "viewer" })).status, suffix).toBe(200);
    }
    expect((await client.request("/api/v1/cases", { as: "viewer" })).status).toBe(200);
    for (const write of writes) expect((await client.request(write.path, { ...write, as: "analyst" })).status, write.path).toBeLessThan(300);
    const comments = await env.store.db.selectFrom("comments").selectAll().execute();
    expect(comments).toHaveLength(1);
  });

  it("lists, filters by status and reads one case with its alerts", async () => {
    const a = await caseFrom([
      { title: "Brute force", source: "wazuh", source_id: "1", host: "db-1", rule: "ssh-bf" },
      { title: "Brute force", source: "wazuh", source_id: "2", host: "db-1", rule: "ssh-bf" },
    ]);
    const b = await caseFrom([{ title: "Phish", source: "o365", source_id: "9", user: "alice", rule: "phish" }]);
    await client.request(`/api/v1/cases/${b}/transition`, { method: "POST", as: "analyst", json: { to: "in_progress" } });

    const all = (await (await client.request("/api/v1/cases", { as: "viewer" })).json()) as { cases: CaseJson[] };
    expect(all.cases.map((c) => c.id).sort()).toEqual([a, b].sort());
    const fresh = (await (await client.request("/api/v1/cases?status=new", { as: "viewer" })).json()) as { cases: CaseJson[] };
    expect(fresh.cases.map((c) => c.id)).toEqual([a]);
    const both = (await (await client.request("/api/v1/cases?status=new,in_progress&limit=1", { as: "viewer" })).json()) as { cases: CaseJson[] };
    expect(both.cases).toHaveLength(1);
    const bad = await client.request("/api/v1/cases?status=sleeping", { as: "viewer" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { issues: { path: string }[] }).issues[0]!.path).toBe("status");

    const one = (await (await client.request(`/api/v1/cases/${a}`, { as: "viewer" })).json()) as CaseJson;
    expect(one.alert_ids).toHaveLength(2);
    expect((await client.request("/api/v1/cases/TORA-20261124-9999", { as: "viewer" })).status).toBe(404);
    expect((await client.request("/api/v1/cases/not-a-case", { as: "viewer" })).status).toBe(400);
  });

  it("updates triage fields in the audit chain under the token's name", async () => {
    const id = await caseFrom([{ title: "Odd process", source: "edr", source_id: "p1", host: "ws-9" }]);
    const res = await client.request(`/api/v1/cases/${id}`, {
      method: "PATCH",
      as: "analyst",
      json: { priority: "P1", severity: "critical", tags: ["edr", "hands-on-keyboard"] },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, priority: "P1", severity: "critical", tags: ["edr", "hands-on-keyboard"] });

    const unknown = await client.request(`/api/v1/cases/${id}`, { method: "PATCH", as: "analyst", json: { status: "closed" } });
    expect(unknown.status).toBe(400);
    const empty = await client.request(`/api/v1/cases/${id}`, { method: "PATCH", as: "analyst", json: {} });
    expect(empty.status).toBe(400);
    const badSeverity = await client.request(`/api/v1/cases/${id}`, { method: "PATCH", as: "analyst", json: { severity: "meh" } });
    expect(badSeverity.status).toBe(400);
    expect(((await badSeverity.json()) as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(["severity"]);

    const audit = (await (await client.request(`/api/v1/cases/${id}/audit`, { as: "viewer" })).json()) as {
      events: { action: string; actor: { kind: string; name: string }; data: { changes?: Record<string, unknown> } }[];
    };
    const updates = audit.events.filter((e) => e.action === "case.updated");
    expect(updates).toHaveLength(1);
    expect(updates[0]!.actor).toEqual({ kind: "human", name: "analyst-test" });
    expect(Object.keys(updates[0]!.data.changes!).sort()).toEqual(["priority", "severity", "tags"]);
  });

  it("moves a case along the workflow: verdict required to close, illegal moves 409", async () => {
    const id = await caseFrom([{ title: "DNS tunnel", source: "zeek", source_id: "t1", host: "ws-3" }]);
    const noVerdict = await client.request(`/api/v1/cases/${id}/transition`, { method: "POST", as: "analyst", json: { to: "closed" } });
    expect(noVerdict.status).toBe(400);
    expect(((await noVerdict.json()) as { issues: { path: string }[] }).issues.map((i) => i.path).sort()).toEqual(["rationale", "verdict"]);

    const taken = await client.request(`/api/v1/cases/${id}/transition`, {
      method: "POST",
      as: "analyst",
      json: { to: "in_progress", assignee: "bob" },
    });
    expect(taken.status).toBe(200);
    expect(await taken.json()).toMatchObject({ status: "in_progress", assignee: { kind: "human", name: "bob" }, held_for_human: false });

    const closed = await client.request(`/api/v1/cases/${id}/transition`, {
      method: "POST",
      as: "admin",
      json: { to: "closed", verdict: "false_positive", rationale: "backup software resolving its own update domain" },
    });
    expect(closed.status).toBe(200);
    expect(await closed.json()).toMatchObject({ status: "closed", verdict: "false_positive" });
    // The human's verdict feeds the analyst feedback the crew learns from (context/feedback.ts).
    const feedback = await env.store.db.selectFrom("feedback").selectAll().execute();
    expect(feedback.map((f) => [f.origin, f.ref.split(":")[0], f.source, f.host, f.benign, f.label])).toEqual([["case", id, "zeek", "ws-3", 1, "false_positive"]]);

    const illegal = await client.request(`/api/v1/cases/${id}/transition`, { method: "POST", as: "analyst", json: { to: "on_hold" } });
    expect(illegal.status).toBe(409);
    expect(((await illegal.json()) as { error: string }).error).toMatch(/illegal transition/);
    const missing = await client.request("/api/v1/cases/TORA-20261124-9999/transition", { method: "POST", as: "analyst", json: { to: "in_progress" } });
    expect(missing.status).toBe(404);
  });

  it("adds and lists Markdown comments; a blank one is refused and nothing is stored", async () => {
    const id = await caseFrom([{ title: "Lateral movement", source: "edr", source_id: "l1", host: "srv-2" }]);
    const added = await client.request(`/api/v1/cases/${id}/comments`, { method: "POST", as: "analyst", json: { body: "**PsExec** from `srv-1`" } });
    expect(added.status).toBe(201);
    expect(await added.json()).toMatchObject({ case_id: id, author: { kind: "human", name: "analyst-test" }, body: "**PsExec** from `srv-1`" });
    const blank = await client.request(`/api/v1/cases/${id}/comments`, { method: "POST", as: "analyst", json: { body: "   " } });
    expect(blank.status).toBe(400);
    const listed = (await (await client.request(`/api/v1/cases/${id}/comments`, { as: "viewer" })).json()) as { comments: { body: string }[] };
    expect(listed.comments.map((c) => c.body)).toEqual(["**PsExec** from `srv-1`"]);
    const nowhere = await client.request("/api/v1/cases/TORA-20261124-9999/comments", { method: "POST", as: "analyst", json: { body: "hi" } });
    expect(nowhere.status).toBe(404);
    expect((await client.request("/api/v1/cases/TORA-20261124-9999/comments", { as: "viewer" })).status).toBe(404);
  });

  it("finds similar cases and returns the crew's decisions with their output parsed", async () => {
    const a = await caseFrom([{ title: "C2 lookup", source: "zeek", source_id: "s1", host: "ws-1", rule: "c2", dst: "bad.example" }]);
    const b = await caseFrom([{ title: "C2 lookup", source: "zeek", source_id: "s2", host: "ws-2", rule: "c2", dst: "bad.example" }]);
    const c = await caseFrom([{ title: "Unrelated", source: "zeek", source_id: "s3", host: "ws-3", rule: "other", dst: "fine.example" }]);
    const similar = (await (await client.request(`/api/v1/cases/${a}/similar`, { as: "viewer" })).json()) as {
      cases: { case_id: string; shared: { type: string; value: string }[] }[];
    };
    expect(similar.cases.map((s) => s.case_id)).toEqual([b]);
    expect(similar.cases[0]!.shared).toContainEqual({ type: "domain", value: "bad.example" });
    expect(similar.cases.map((s) => s.case_id)).not.toContain(c);

    await env.store.db
      .insertInto("decisions")
      .values({
        id: "d-1",
        case_id: a,
        agent: "TORA",
        tier: 1,
        schema_version: 1,
        verdict: "ESCALATED",
        output: toJson({ verdict: "ESCALATED", confidence: 72 }),
        analyst: "deterministic",
        duration_ms: 12,
        created_at: NOW,
      })
      .execute();
    const decisions = (await (await client.request(`/api/v1/cases/${a}/decisions`, { as: "viewer" })).json()) as {
      decisions: { id: string; output: { confidence: number } }[];
    };
    expect(decisions.decisions).toEqual([expect.objectContaining({ id: "d-1", agent: "TORA", output: { verdict: "ESCALATED", confidence: 72 } })]);
    const none = (await (await client.request(`/api/v1/cases/${b}/decisions`, { as: "viewer" })).json()) as { decisions: unknown[] };
    expect(none.decisions).toEqual([]);
  });
});
