import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { fixedClock } from "../core/index.js";
import { exportAlerts } from "../cases/index.js";
import { getAlert, ingestAlerts } from "./index.js";

describe(`content dedup: duplicates only when everything the source sent is identical (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });
  const db = () => env.store.db;
  const clock = fixedClock("2026-03-01T08:00:00.000Z", 1000);

  it("keeps alerts that differ only where normalisation loses detail", async () => {
    const base = { title: "ET SCAN", source: "suricata", host: "fw-01", severity: "low" };
    const { results } = await ingestAlerts(
      db(),
      [
        { ...base, time: "2026-03-01T07:00:00.123456Z" },
        { ...base, time: "2026-03-01T07:00:00.123457Z" },
        { ...base, time: "2026-03-01T07:00:00Z", attack: { techniques: ["T1046"] } },
        { ...base, time: "2026-03-01T07:00:00Z", attack: { techniques: ["T1046", "T1046"] } },
        { ...base, time: "2026-03-01T07:00:00Z", flow: { bytes: 10 } },
        { ...base, time: "2026-03-01T07:00:00Z", flow: { bytes: 11 } },
      ],
      { via: "api", clock },
    );
    expect(results.every((r) => r.created)).toBe(true);
    expect(new Set(results.map((r) => r.id)).size).toBe(6);
  });

  it("collapses identical records and shows the count on the alert and the export", async () => {
    const alert = { title: "ClamAV database update", host: "mail", time: 1642723347 };
    const first = await ingestAlerts(db(), [alert, { ...alert }, { ...alert }], { via: "file", clock });
    expect(first.results.map((r) => r.created)).toEqual([true, false, false]);
    const again = await ingestAlerts(db(), [{ ...alert }], { via: "api", clock });
    expect(again.results[0]).toEqual({ id: first.results[0]!.id, created: false });
    expect((await getAlert(db(), first.results[0]!.id))!.duplicates).toBe(3);
    const lines = [];
    for await (const line of exportAlerts(db())) lines.push(line);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.duplicates).toBe(3);
  });

  it("keeps the authenticated sender in the origin, which grouping scopes by", async () => {
    const { results } = await ingestAlerts(db(), [{ title: "Disk full", source: "monitor", source_id: "m-1" }], { via: "webhook", sender: "webhook:prom", clock });
    expect((await getAlert(db(), results[0]!.id))!.origin).toEqual({ via: "webhook", sender: "webhook:prom" });
  });
});
