import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { ValidationError, fixedClock } from "../core/index.js";
import { fromJson } from "../store/index.js";
import { getAlert, ingestAlerts, listAlerts } from "./index.js";

describe(`ingestAlerts (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const db = () => env.store.db;
  const count = async (table: "alerts" | "jobs") => Number((await db().selectFrom(table).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
  const enrichJobs = async () =>
    (await db().selectFrom("jobs").select(["kind", "payload", "status"]).execute()).map((j) => ({ ...j, payload: fromJson<unknown>(j.payload, null) }));

  async function rejection(promise: Promise<unknown>): Promise<ValidationError> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof ValidationError) return error;
      throw error;
    }
    throw new Error("expected a ValidationError");
  }

  it("stores an alert, its columns and its document, and queues its enrichment", async () => {
    const clock = fixedClock("2026-03-01T08:00:00.000Z");
    const { results } = await ingestAlerts(
      db(),
      [{ title: "SSH brute force", source: "wazuh", source_id: "w-1", severity: "high", host: { name: "bastion", ip: ["10.0.0.2"] }, user: "root", rule: { id: "5712", title: "Brute force" }, time: "2026-03-01T07:59:00Z" }],
      { via: "api", clock },
    );
    expect(results).toEqual([{ id: expect.any(String), created: true }]);
    const id = results[0]!.id;
    const row = await db().selectFrom("alerts").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      source: "wazuh",
      source_id: "w-1",
      time: "2026-03-01T07:59:00.000Z",
      received_at: "2026-03-01T08:00:00.000Z",
      title: "SSH brute force",
      severity: "high",
      rule_id: "5712",
      host_name: "bastion",
      user_name: "root",
      origin_file: null,
      origin_record: null,
      enrichment: null,
      case_id: null,
      stage: "received",
    });
    expect(JSON.parse(row.doc)).toMatchObject({ id, schema_version: 1, origin: { via: "api" }, title: "SSH brute force" });
    expect(await enrichJobs()).toEqual([{ kind: "alert.enrich", payload: { alert_id: id }, status: "queued" }]);

    const stored = await getAlert(db(), id);
    expect(stored).toMatchObject({ id, title: "SSH brute force", case_id: null, stage: "received", enrichment: null, user: { name: "root" } });
    expect(await getAlert(db(), "no-such-alert")).toBeNull();
  });

  it("gives field-level errors with paths, without an index for a single alert", async () => {
    const error = await rejection(ingestAlerts(db(), [{ title: "", severity: "loud" }], { via: "api" }));
    expect(error.issues).toEqual([
      { path: "title", message: "must not be empty" },
      { path: "severity", message: expect.stringContaining('"loud"') },
    ]);
    expect(await count("alerts")).toBe(0);
  });

  it("stores nothing when one alert of a batch is bad, and names it by index", async () => {
    const inputs = [{ title: "ok 0" }, { title: "ok 1" }, { title: "ok 2" }, { title: "bad", severity: "nope" }, { title: "ok 4" }];
    const error = await rejection(ingestAlerts(db(), inputs, { via: "api" }));
    expect(error.issues.map((i) => i.path)).toEqual(["[3].severity"]);
    expect(await count("alerts")).toBe(0);
    expect(await count("jobs")).toBe(0);
  });

  it("is idempotent on source and source_id: same id, one row, one enrichment job", async () => {
    const alert = { title: "Beacon", source: "zeek", source_id: 991 };
    const first = await ingestAlerts(db(), [alert], { via: "webhook" });
    const second = await ingestAlerts(db(), [{ ...alert, title: "Beacon (resent)" }], { via: "webhook" });
    expect(second.results).toEqual([{ id: first.results[0]!.id, created: false }]);
    expect(await count("alerts")).toBe(1);
    expect((await enrichJobs()).filter((j) => j.kind === "alert.enrich")).toHaveLength(1);
    // Another source with the same id is another alert.
    const other = await ingestAlerts(db(), [{ ...alert, source: "suricata" }], { via: "webhook" });
    expect(other.results[0]!.created).toBe(true);
  });

  it("dedupes by content when there is no source_id", async () => {
    const clock = fixedClock("2026-03-01T08:00:00.000Z", 60_000);
    const alert = { title: "Odd login", user: "bob", time: "2026-03-01T07:00:00Z" };
    const a = await ingestAlerts(db(), [alert], { via: "api", clock });
    const b = await ingestAlerts(db(), [{ ...alert }], { via: "api", clock });
    const c = await ingestAlerts(db(), [{ ...alert, user: "carol" }], { via: "api", clock });
    expect(b.results[0]).toEqual({ id: a.results[0]!.id, created: false });
    expect(c.results[0]!.created).toBe(true);
    // Without a time of its own the alert is identified by its content, not by when it arrived.
    const d = await ingestAlerts(db(), [{ title: "No time" }], { via: "api", clock });
    const e = await ingestAlerts(db(), [{ title: "No time" }], { via: "api", clock });
    expect(e.results[0]).toEqual({ id: d.results[0]!.id, created: false });
    expect(await count("alerts")).toBe(3);
  });

  it("collapses duplicates inside one batch", async () => {
    const { results } = await ingestAlerts(
      db(),
      [
        { title: "a", source: "s", source_id: "1" },
        { title: "b", source: "s", source_id: "2" },
        { title: "a again", source: "s", source_id: "1" },
      ],
      { via: "api" },
    );
    expect(results.map((r) => r.created)).toEqual([true, true, false]);
    expect(results[2]!.id).toBe(results[0]!.id);
    expect(await count("alerts")).toBe(2);
    expect(await count("jobs")).toBe(2);
  });

  it("records where each alert came from", async () => {
    const { results } = await ingestAlerts(db(), [{ title: "x" }, { title: "y" }], {
      via: "file",
      origins: [
        { file: "/data/a.ndjson", record: 1 },
        { file: "/data/a.ndjson", record: 2 },
      ],
    });
    const stored = await getAlert(db(), results[1]!.id);
    expect(stored?.origin).toEqual({ via: "file", file: "/data/a.ndjson", record: 2 });
    const row = await db().selectFrom("alerts").select(["origin_file", "origin_record"]).where("id", "=", results[1]!.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ origin_file: "/data/a.ndjson", origin_record: 2 });
  });

  it("joins the caller's transaction, rolling back with it", async () => {
    await expect(
      db()
        .transaction()
        .execute(async (trx) => {
          await ingestAlerts(trx, [{ title: "inside" }], { via: "detect" });
          expect(Number((await trx.selectFrom("alerts").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n)).toBe(1);
          throw new Error("caller fails");
        }),
    ).rejects.toThrow("caller fails");
    expect(await count("alerts")).toBe(0);
    expect(await count("jobs")).toBe(0);
  });

  it("keeps one row per alert when batches race", async () => {
    const ids = Array.from({ length: 30 }, (_, i) => ({ title: `alert ${i}`, source: "race", source_id: String(i) }));
    const batches = Array.from({ length: 6 }, (_, n) => (n % 2 ? [...ids].reverse() : ids));
    const outcomes = await Promise.all(batches.map((batch) => ingestAlerts(db(), batch, { via: "connector" })));
    expect(await count("alerts")).toBe(30);
    expect(await count("jobs")).toBe(30);
    const idBySourceId = new Map<string, string>();
    outcomes.forEach((outcome, n) =>
      outcome.results.forEach((result, i) => {
        const sourceId = batches[n]![i]!.source_id;
        const known = idBySourceId.get(sourceId);
        if (known) expect(result.id).toBe(known);
        else idBySourceId.set(sourceId, result.id);
      }),
    );
    const createdCount = outcomes.flatMap((o) => o.results).filter((r) => r.created).length;
    expect(createdCount).toBe(30);
  });

  it("lists alerts newest first, by case and since a time", async () => {
    const clock = fixedClock("2026-03-01T08:00:00.000Z");
    const first = await ingestAlerts(db(), [{ title: "first" }], { via: "api", clock });
    clock.advance(60_000);
    const second = await ingestAlerts(db(), [{ title: "second" }], { via: "api", clock });
    clock.advance(60_000);
    const third = await ingestAlerts(db(), [{ title: "third" }], { via: "api", clock });
    expect((await listAlerts(db())).map((a) => a.title)).toEqual(["third", "second", "first"]);
    expect((await listAlerts(db(), { limit: 1, offset: 1 })).map((a) => a.title)).toEqual(["second"]);
    expect((await listAlerts(db(), { since: "2026-03-01T08:01:00Z" })).map((a) => a.title)).toEqual(["third", "second"]);
    await db().updateTable("alerts").set({ case_id: "TORA-20260301-0001", stage: "grouped" }).where("id", "in", [first.results[0]!.id, third.results[0]!.id]).execute();
    const inCase = await listAlerts(db(), { caseId: "TORA-20260301-0001" });
    expect(inCase.map((a) => [a.title, a.case_id, a.stage])).toEqual([
      ["third", "TORA-20260301-0001", "grouped"],
      ["first", "TORA-20260301-0001", "grouped"],
    ]);
    expect(second.results[0]!.created).toBe(true);
    await expect(listAlerts(db(), { limit: 0 })).rejects.toThrow(ValidationError);
  });
});
