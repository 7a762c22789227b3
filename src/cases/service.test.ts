import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { NotFoundError, ValidationError, fixedClock, sha256 } from "../core/index.js";
import { addComment, attachAlert, getCase, listAudit, listCases, listComments, similarCases, transitionCase } from "./index.js";
import { storedAlert, type AlertFixture } from "./test-alerts.js";

const ana = { kind: "human", name: "ana" } as const;

describe(`case service (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let clock: ReturnType<typeof fixedClock>;
  beforeEach(async () => {
    env = await openTestEnvironment();
    clock = fixedClock("2026-11-24T10:00:00Z", 1000);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function caseOf(...fixtures: AlertFixture[]): Promise<string> {
    let id = "";
    for (const f of fixtures) {
      const alert = await storedAlert(env.store.db, f);
      id = (await attachAlert(env.store.db, alert, { windowMinutes: 60 }, clock)).caseId;
    }
    return id;
  }

  it("gets a case with its alerts and observables, or null", async () => {
    const id = await caseOf({ host: "ws-01", dst_domain: "evil.test" }, { host: "ws-01", src_ip: "10.0.0.9" });
    const c = (await getCase(env.store.db, id))!;
    expect(c.alert_ids).toHaveLength(2);
    expect(c.observables.map((o) => `${o.type}:${o.value}`).sort()).toEqual(["domain:evil.test", "host:ws-01", "ip:10.0.0.9"]);
    expect(c.outcome).toBe("open");
    expect(await getCase(env.store.db, "TORA-20261124-0999")).toBeNull();
  });

  it("lists cases newest first, by status, since an update time, in pages", async () => {
    const a = await caseOf({ host: "a" });
    const b = await caseOf({ host: "b" });
    const c = await caseOf({ host: "c" });
    expect((await listCases(env.store.db)).map((x) => x.id)).toEqual([c, b, a]);
    expect((await listCases(env.store.db, { limit: 1, offset: 1 })).map((x) => x.id)).toEqual([b]);
    const cutoff = clock.now().toISOString();
    await transitionCase(env.store.db, a, { to: "in_progress", actor: ana }, clock);
    expect((await listCases(env.store.db, { status: "in_progress" })).map((x) => x.id)).toEqual([a]);
    expect((await listCases(env.store.db, { status: ["new", "in_progress"] })).map((x) => x.id)).toEqual([c, b, a]);
    expect((await listCases(env.store.db, { since: cutoff })).map((x) => x.id)).toEqual([a]);
    await expect(listCases(env.store.db, { status: "open" as "new" })).rejects.toBeInstanceOf(ValidationError);
  });

  it("adds Markdown comments, audited with a hash of the body", async () => {
    const id = await caseOf({});
    const body = "## Finding\n\n`evil.test` resolved from **ws-01**.";
    const comment = await addComment(env.store.db, id, { author: { kind: "agent", name: "TORA" }, body }, clock);
    const second = await addComment(env.store.db, id, { author: ana, body: "agreed" }, clock);
    expect(comment).toMatchObject({ case_id: id, author: { kind: "agent", name: "TORA" }, body });
    expect(await listComments(env.store.db, id)).toEqual([comment, second]);
    const event = (await listAudit(env.store.db, { caseId: id })).find((e) => e.action === "comment.added")!;
    expect(event.data).toEqual({ comment_id: comment.id, body_sha256: sha256(body), length: body.length });
    expect((await getCase(env.store.db, id))!.acknowledged_at).toBe(comment.created_at);
  });

  it("refuses blank comments and unknown cases, writing nothing", async () => {
    const id = await caseOf({});
    await expect(addComment(env.store.db, id, { author: ana, body: "  \n " }, clock)).rejects.toSatisfy(
      (e: unknown) => e instanceof ValidationError && e.issues[0]!.path === "body",
    );
    await expect(addComment(env.store.db, id, { author: { kind: "human", name: "" }, body: "x" }, clock)).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(addComment(env.store.db, "TORA-20261124-0999", { author: ana, body: "x" }, clock)).rejects.toBeInstanceOf(NotFoundError);
    expect(await listComments(env.store.db, id)).toEqual([]);
    expect((await listAudit(env.store.db)).map((e) => e.action)).toEqual(["case.created"]);
  });

  it("ranks similar cases by weighted shared observables, excluding the case itself", async () => {
    const hash = "a".repeat(64);
    const subject = await caseOf({ host: "ws-01", dst_domain: "evil.test", sha256: hash, user: "bob" });
    const sameDomainAndHash = await caseOf({ rule: { id: "r2", title: "Other" }, host: "ws-02", dst_domain: "evil.test", sha256: hash });
        // Hours apart: another incident on the same host (within the hour it would join the subject's incident).
    const sameHostAndUser = await caseOf({ rule: { id: "r3", title: "Third" }, host: "ws-01", user: "bob", time: "2026-11-24T03:00:00Z" });
    const sameDomain = await caseOf({ rule: { id: "r4", title: "Fourth" }, host: "ws-03", dst_domain: "EVIL.test" });
    await caseOf({ rule: { id: "r5", title: "Unrelated" }, host: "ws-09", dst_domain: "fine.test" });
    await transitionCase(env.store.db, sameDomainAndHash, { to: "closed", actor: ana, verdict: "true_positive", rationale: "c2" }, clock);

    const similar = await similarCases(env.store.db, subject);
    expect(similar.map((s) => s.case_id)).toEqual([sameDomainAndHash, sameDomain, sameHostAndUser]);
    expect(similar[0]).toMatchObject({ title: "Malicious DNS lookup", status: "closed", verdict: "true_positive" });
    expect(similar[0]!.shared).toEqual([
      { type: "domain", value: "evil.test" },
      { type: "file_hash", value: hash },
      { type: "process", value: "evil.exe" },
    ]);
    expect(similar[0]!.score).toBeGreaterThan(similar[1]!.score);
    expect(similar[2]!.shared).toEqual([
      { type: "host", value: "ws-01" },
      { type: "user", value: "bob" },
    ]);
    expect(await similarCases(env.store.db, subject, 1)).toHaveLength(1);
    expect(await similarCases(env.store.db, "TORA-20261124-0999")).toEqual([]);
  });
});
