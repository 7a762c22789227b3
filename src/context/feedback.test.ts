import { writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { insertAlertRow } from "../../test/support/alerts.js";
import { testStoreKind, useTestEnvironment } from "../../test/support/store.js";
import { fixedClock, ValidationError } from "../core/index.js";
import { makeAlert } from "../crew/testing/fixtures.js";
import { importFeedback, loadContext, lookupPrecedent, recordCaseFeedback } from "./index.js";

const clock = fixedClock("2026-03-01T00:00:00Z");
const MAP = { title: "name", "host.name": "host", "rule.id": "short", time: "time", source: "tool", "src.ip": "ip" } as const;

function csv(rows: string[][]): string {
  return [["time", "name", "ip", "host", "short", "tool", "verdict"], ...rows].map((r) => r.join(",")).join("\n") + "\n";
}

const T = (day: number) => String(Date.parse(`2026-02-${String(day).padStart(2, "0")}T10:00:00Z`) / 1000);

describe(`analyst feedback import and precedent (${testStoreKind()})`, () => {
  const { env, db } = useTestEnvironment();

  function file(name: string, text: string | Buffer): string {
    const p = path.join(env().home, name);
    writeFileSync(p, text);
    return p;
  }

  it("imports labelled rows as history with the ingest --map, benign values as false positives, idempotently", async () => {
    await loadContext(db(), { assets: [{ hostname: "mail-01", criticality: "high", environment: "production", role: "mail" }] }, { clock });
    const rows = [
      ...Array.from({ length: 6 }, (_, i) => [T(1 + i), "ClamAV database update", "10.0.0.5", "mail-01", "W-Sys-Cav", "wazuh", "false_positive"]),
      [T(10), "Reverse shell", "10.0.0.9", "web-01", "A-Acc-Ent2", "aminer", "reverse_shell"],
      [T(11), "ClamAV database update", "10.0.0.5", "MAIL-01", "W-Sys-Cav", "wazuh", "FALSE_POSITIVE"],
    ];
    const gz = file("history.csv.gz", gzipSync(csv(rows)));
    const result = await importFeedback(db(), gz, { map: MAP, label: "verdict", benign: ["false_positive"], clock });
    expect(result).toMatchObject({ records: 8, created: 8, duplicates: 0, benign: 7, malicious: 1, labels: { false_positive: 6, reverse_shell: 1, FALSE_POSITIVE: 1 } });
    const stored = await db().selectFrom("feedback").selectAll().orderBy("time").execute();
    expect(stored[0]).toMatchObject({ origin: "import", source: "wazuh", rule: "w-sys-cav", host: "mail-01", host_role: "mail", src_ip: "10.0.0.5", benign: 1 });
    expect(stored.find((r) => r.rule === "a-acc-ent2")).toMatchObject({ benign: 0, label: "reverse_shell", host_role: null });
    // Never work: no alert, no job, no case.
    expect(await db().selectFrom("alerts").selectAll().execute()).toEqual([]);
    expect(await db().selectFrom("jobs").selectAll().execute()).toEqual([]);
    expect(await db().selectFrom("cases").selectAll().execute()).toEqual([]);

    const again = await importFeedback(db(), gz, { map: MAP, label: "verdict", benign: ["false_positive"], clock });
    expect(again).toMatchObject({ records: 8, created: 0, duplicates: 8 });
  });

  it("refuses bad input with the path named and writes nothing", async () => {
    const good = [T(1), "x", "10.0.0.5", "mail-01", "W-1", "wazuh", "fp"];
    const noLabel = file("a.csv", csv([good, [T(2), "y", "10.0.0.5", "mail-01", "W-1", "wazuh", ""]]));
    const e1 = await importFeedback(db(), noLabel, { map: MAP, label: "verdict", benign: ["fp"] }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ValidationError);
    expect((e1 as ValidationError).issues[0]).toMatchObject({ path: "record[2].verdict" });
    const e2 = await importFeedback(db(), file("b.csv", csv([good])), { map: { ...MAP, title: "nope" }, label: "verdict", benign: ["fp"] }).catch((e: unknown) => e);
    expect((e2 as ValidationError).issues.map((i) => i.path)).toContain("map.title");
    const e3 = await importFeedback(db(), file("c.csv", csv([good])), { map: MAP, label: "outcome", benign: ["fp"] }).catch((e: unknown) => e);
    expect((e3 as ValidationError).issues.map((i) => i.path)).toContain("label");
    const e4 = await importFeedback(db(), file("d.csv", csv([[T(1), "x", "not-an-ip", "mail-01", "W-1", "wazuh", "fp"]])), { map: MAP, label: "verdict", benign: ["fp"] }).catch((e: unknown) => e);
    expect(e4).toBeInstanceOf(ValidationError);
    expect(await db().selectFrom("feedback").selectAll().execute()).toEqual([]);
  });

  it("looks precedent up by host, role and source address; benign within the age limit, malicious at any age", async () => {
    await loadContext(db(), { assets: [{ hostname: "mail-01", criticality: "high", environment: "production", role: "mail" }, { hostname: "mail-02", criticality: "high", environment: "production", role: "mail" }] }, { clock });
    const rows = [
      ...Array.from({ length: 5 }, (_, i) => [T(1 + i), "ClamAV", "10.0.0.5", "mail-01", "W-Sys-Cav", "wazuh", "fp"]),
      ["1700000000", "ClamAV", "10.0.0.5", "mail-01", "W-Sys-Cav", "wazuh", "fp"], // Nov 2023: stale
      ["1600000000", "ClamAV", "10.0.0.66", "mail-01", "W-Sys-Cav", "wazuh", "attack"], // 2020: malicious still counts
    ];
    await importFeedback(db(), file("h.csv", csv(rows)), { map: MAP, label: "verdict", benign: ["fp"], clock });
    const alert = makeAlert({ source: "wazuh", rule: { id: "W-Sys-Cav", title: "ClamAV" }, host: { name: "MAIL-02", ip: [] }, src: { ip: "10.0.0.5" }, time: "2026-02-20T00:00:00.000Z" });
    const p = await lookupPrecedent(db(), alert, { alertTime: alert.time, maxAgeDays: 90, role: "Mail" });
    expect(p.shapes.map((s) => [s.by, s.value, s.benign, s.stale_benign, s.malicious])).toEqual([
      ["role", "mail", 5, 1, 1],
      ["src_ip", "10.0.0.5", 5, 1, 0],
    ]);
    const onHost = await lookupPrecedent(db(), { ...alert, host: { name: "mail-01", ip: [] } }, { alertTime: alert.time, maxAgeDays: 90, role: null });
    expect(onHost.shapes[0]).toMatchObject({ by: "host", benign: 5, malicious: 1, last_malicious_at: "2020-09-13T12:26:40.000Z" });
  });

  it("reads one shape's index entries only, at 100k rows of history", async () => {
    const values = Array.from({ length: 100_000 }, (_, i) => ({
      id: `f${i}`,
      origin: "import",
      ref: `bulk:${i}`,
      source: "wazuh",
      rule: `r-${i % 500}`,
      host: `h-${i % 300}`,
      host_role: `role-${i % 7}`,
      src_ip: `10.1.${(i >> 8) & 255}.${i & 255}`,
      benign: i % 11 === 0 ? 0 : 1,
      label: "x",
      title: "t",
      time: new Date(Date.parse("2026-02-01T00:00:00Z") + i * 1000).toISOString(),
      created_at: "2026-03-01T00:00:00Z",
    }));
    await db()
      .transaction()
      .execute(async (trx) => {
        for (let i = 0; i < values.length; i += 2000) await trx.insertInto("feedback").values(values.slice(i, i + 2000)).execute();
      });
    const alert = makeAlert({ source: "wazuh", rule: { id: "r-7", title: "x" }, host: { name: "h-7", ip: [] }, src: { ip: "10.1.0.7" }, time: "2026-02-02T00:00:00.000Z" });
    const p = await lookupPrecedent(db(), alert, { alertTime: alert.time, maxAgeDays: 90, role: "role-0" });
    const expected = values.filter((v) => v.rule === "r-7" && v.host === "h-7");
    const host = p.shapes.find((s) => s.by === "host")!;
    expect(host.benign + host.malicious).toBe(expected.length);
    if (testStoreKind() === "sqlite") {
      const { sql } = await import("kysely");
      for (const column of ["host", "host_role", "src_ip"]) {
        const plan = await sql<{ detail: string }>`explain query plan select benign, count(*) from feedback where source = 'wazuh' and rule = 'r-7' and ${sql.ref(column)} = 'x' group by benign`.execute(db());
        expect(plan.rows.map((r) => r.detail).join(" "), column).toMatch(/USING COVERING INDEX feedback_/);
      }
    }
  });

  it("a human verdict on a live case feeds the same store, replacing an earlier verdict on that case", async () => {
    const alert = makeAlert({ id: "a-1", source: "suricata", rule: { id: "S-Tls", title: "TLS" }, host: { name: "vpn", ip: [] } });
    await insertAlertRow(db(), alert, { dedupeKey: "suricata:a-1" });
    await db().updateTable("alerts").set({ case_id: "TORA-20260301-0001" }).where("id", "=", "a-1").execute();
    expect(await recordCaseFeedback(db(), "TORA-20260301-0001", "false_positive", { clock })).toBe(1);
    expect(await recordCaseFeedback(db(), "TORA-20260301-0001", "undetermined", { clock })).toBe(0);
    expect(await recordCaseFeedback(db(), "TORA-20260301-0001", "true_positive", { clock })).toBe(1);
    const rows = await db().selectFrom("feedback").selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ origin: "case", ref: "TORA-20260301-0001:a-1", source: "suricata", rule: "s-tls", host: "vpn", benign: 0, label: "true_positive" });
  });
});
