import path from "node:path";
import { Kysely, Migrator, sql, type Dialect } from "kysely";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { createDatabase, dropDatabase } from "../../test/support/temporary-postgres.js";
import { attachAlert, exportCases, transitionCase, verifyAuditChain } from "../cases/index.js";
import { storedAlert } from "../cases/test-alerts.js";
import { fixedClock } from "../core/index.js";
import { ingestAlerts } from "../ingest/index.js";
import type { Database } from "../store/index.js";
import { createPostgresDialect } from "../store/dialect/postgres/postgres-driver.js";
import { createSqliteDialect } from "../store/dialect/sqlite/sqlite-driver.js";
import { migrationProvider } from "../store/migrations/index.js";
import { openApp, workUntilIdle } from "./app.js";

/**
 * The last migration of the previous release: its database is built from the migrations up to here, with
 * data written as that release wrote it, then opened by this release. Move it forward at each release.
 */
const PREVIOUS_RELEASE = "0010-audit-keys";

describe(`upgrading a database made by the previous release (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let old: { db: Kysely<Database>; url: string; drop(): Promise<void> };
  beforeEach(async () => {
    env = await openTestEnvironment();
    // A new, empty database beside the environment's, signed with the same audit key (the home's key file).
    let dialect: Dialect;
    let url: string;
    let drop = async () => {};
    if (testStoreKind() === "postgres") {
      const name = `u_${Math.random().toString(36).slice(2, 12)}`;
      url = await createDatabase(inject("postgresUrl"), name);
      dialect = createPostgresDialect(url).dialect;
      drop = () => dropDatabase(inject("postgresUrl"), name);
    } else {
      const file = path.join(env.home, "previous-release.db");
      url = `sqlite:${file}`;
      dialect = createSqliteDialect(file);
    }
    old = { db: new Kysely<Database>({ dialect, plugins: [env.store.auditKey] }), url, drop };
  });
  afterEach(async () => {
    await old.db.destroy();
    await old.drop();
    await env.cleanup();
  });

  it("migrates it to this release with its data intact, backfilled, verifiable and workable", async () => {
    // Built from the migrations up to the previous release's last one.
    const db = old.db;
    const names = Object.keys(await migrationProvider.getMigrations()).sort();
    const later = names.slice(names.indexOf(PREVIOUS_RELEASE) + 1);
    expect(later.length, "this release adds migrations").toBeGreaterThan(0);
    const built = await new Migrator({ db, provider: migrationProvider }).migrateTo(PREVIOUS_RELEASE);
    expect(built.error).toBeUndefined();
    expect(built.results?.map((r) => r.migrationName)).toEqual(names.slice(0, names.indexOf(PREVIOUS_RELEASE) + 1));
    const tables = async () => (await db.introspection.getTables()).map((t) => t.name);
    expect(await tables()).not.toContain("host_aliases");

    // Data as the previous release wrote it: a worked case with its audit trail, an alert still queued, a CMDB host.
    // (These writers touch only tables unchanged since PREVIOUS_RELEASE; if a later migration changes one, write its old rows with SQL here.)
    const clock = fixedClock("2026-11-24T10:00:00Z", 1000);
    const worked = await storedAlert(db, { host: "ws-042", received_at: "2026-11-24T09:00:00.000Z" });
    const { caseId } = await attachAlert(db, worked, { windowMinutes: 60 }, clock);
    await transitionCase(db, caseId, { to: "closed", actor: { kind: "human", name: "ana" }, verdict: "true_positive", rationale: "confirmed" }, clock);
    const queued = await ingestAlerts(db, [{ title: "Beacon to rare domain", source: "edr", source_id: "old-1", severity: "high", host: "ws-042" }], { via: "api", clock });
    await sql`insert into assets (hostname, doc, updated_at, source) values (${"ws-042.corp.example"}, ${JSON.stringify({ hostname: "ws-042.corp.example", criticality: "high" })}, ${"2026-11-24T08:00:00.000Z"}, ${"cmdb"})`.execute(db);
    const before = await verifyAuditChain(db);
    expect(before.ok).toBe(true);

    // This release opens it.
    const app = await openApp({ env: { NIGHTSHIFT_HOME: env.home, NIGHTSHIFT_DATABASE_URL: old.url } });
    try {
      expect(app.store.applied).toEqual(later);
      const upgraded = app.store.db;
      // 0011's backfill: the FQDN already in the CMDB is found by its short name.
      expect(await upgraded.selectFrom("host_aliases").selectAll().execute()).toContainEqual({ alias: "ws-042", hostname: "ws-042.corp.example", source: "cmdb", kind: "short_name" });
      const [exported] = await collect(exportCases(upgraded));
      expect(exported).toMatchObject({ id: caseId, status: "closed", verdict: "true_positive", alert_ids: [worked.id] });
      expect(await verifyAuditChain(upgraded)).toMatchObject({ ok: true, checked: before.checked });
      // The alert the previous release queued is worked by this one.
      const stats = await workUntilIdle(app);
      expect(stats.failed).toBe(0);
      const row = await upgraded.selectFrom("alerts").select(["case_id", "stage"]).where("id", "=", queued.results[0]!.id).executeTakeFirstOrThrow();
      expect(row.case_id).not.toBeNull();
      expect((await verifyAuditChain(upgraded)).ok).toBe(true);
    } finally {
      await app.close();
    }
  }, 120_000);
});

async function collect<T>(lines: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const line of lines) out.push(line);
  return out;
}
