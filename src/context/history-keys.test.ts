import { describe, expect, it } from "vitest";
import { fixedClock, type Alert } from "../core/index.js";
import { useTestEnvironment, testStoreKind } from "../../test/support/store.js";
import { historyKeysOf, indexAlertHistory } from "./history-keys.js";
import { enrichAlert, loadContext } from "./index.js";
import { buildAlert, insertAlert } from "./testing.js";

const T = "2026-03-11T12:00:00.000Z";
const ago = (hours: number) => new Date(Date.parse(T) - hours * 3_600_000).toISOString();

describe("history keys", () => {
  it("names the host, the user, every address, each domain with its parents, URLs, hashes and e-mail addresses", () => {
    const alert = buildAlert({
      host: { name: "WS-01.", ip: ["10.0.0.11"] },
      user: { name: "CORP\\JDoe" },
      src: { ip: "10.0.0.11" },
      dst: { ip: "203.0.113.9", domain: "A.Evil.Example", url: "http://cdn.bad.example/x.exe" },
      process: { sha256: "AB".repeat(32) },
      email: { sender: "boss@phish.example", links: [] },
    });
    expect(historyKeysOf(alert).sort()).toEqual(
      [
        "h:ws-01",
        "u:jdoe",
        "i:10.0.0.11",
        "i:203.0.113.9",
        "d:a.evil.example",
        "d:evil.example",
        "d:example",
        "d:cdn.bad.example",
        "d:bad.example",
        "d:phish.example",
        "l:http://cdn.bad.example/x.exe",
        `f:${"ab".repeat(32)}`,
        "e:boss@phish.example",
      ].sort(),
    );
  });
});

describe(`history through the key index (${testStoreKind()})`, () => {
  const { db } = useTestEnvironment();
  const enrich = (alert: Alert) =>
    enrichAlert(db(), alert, { historyWindowHours: 168, suppressionMaxAgeDays: 90, clock: fixedClock("2026-03-11T12:05:00Z") });
  const earlier = (hoursAgo: number, overrides: Partial<Alert>) => insertAlert(db(), buildAlert({ time: ago(hoursAgo), title: `t-${hoursAgo}`, ...overrides }));

  it("keys every stored alert once, whoever inserted it, at the first lookup after it", async () => {
    const a = await earlier(1, { host: { name: "ws-01", ip: [] } });
    expect(await db().selectFrom("alert_keys_pending").select("alert_id").execute()).toEqual([{ alert_id: a.id }]);
    await indexAlertHistory(db());
    expect(await db().selectFrom("alert_keys_pending").select("alert_id").execute()).toEqual([]);
    expect(await db().selectFrom("alert_keys").select(["alert_id", "key", "time"]).execute()).toEqual([{ alert_id: a.id, key: "h:ws-01", time: a.time }]);
    await indexAlertHistory(db());
    expect(await db().selectFrom("alert_keys").select("key").execute()).toHaveLength(1);
  });

  it("finds each kind of shared value through its key, and nothing that merely contains it", async () => {
    await loadContext(
      db(),
      {
        assets: [{ hostname: "ws-01", ips: ["10.0.0.11"], criticality: "medium", environment: "production" }],
        indicators: [{ type: "domain", value: "evil.example", source_count: 10, source_total: 60 }],
      },
      { clock: fixedClock("2026-03-01T00:00:00Z") },
    );
    const byHostName = await earlier(1, { host: { name: "WS-01", ip: [] } });
    const byHostAddress = await earlier(2, { src: { ip: "10.0.0.11" } });
    const byUser = await earlier(3, { user: { name: "jdoe@corp.example" } });
    const bySubdomain = await earlier(4, { dst: { domain: "c2.evil.example" } });
    const byAddress = await earlier(5, { dst: { ip: "203.0.113.9" } });
    const byHash = await earlier(6, { process: { sha256: "cd".repeat(32) } });
    const byUrl = await earlier(7, { dst: { url: "https://files.example/payload.bin" } });
    // Text that contains a shared value without sharing it: an address with one more digit, the user in a title.
    await earlier(8, { dst: { ip: "203.0.113.90" }, title: "jdoe was here" });
    await earlier(9, { host: { name: "ws-011", ip: [] } });
    // Shares everything, but outside the 7-day window.
    await earlier(200, { host: { name: "ws-01", ip: [] }, user: { name: "jdoe" } });

    const alert = buildAlert({
      time: T,
      host: { name: "ws-01", ip: [] },
      user: { name: "CORP\\jdoe" },
      dst: { ip: "203.0.113.9", domain: "evil.example", url: "https://files.example/payload.bin" },
      process: { sha256: "CD".repeat(32) },
    });
    await insertAlert(db(), alert);
    const { history } = await enrich(alert);
    const shared = Object.fromEntries(history.related_alerts.map((r) => [r.alert_id, r.shared]));
    expect(shared).toEqual({
      [byHostName.id]: ["host:ws-01"],
      [byHostAddress.id]: ["host:ws-01"],
      [byUser.id]: ["user:jdoe"],
      [bySubdomain.id]: ["domain:evil.example"],
      [byAddress.id]: ["ip:203.0.113.9"],
      [byHash.id]: [`file_hash:${"cd".repeat(32)}`],
      [byUrl.id]: ["url:https://files.example/payload.bin"],
    });
    expect(history.same_indicator_count).toBe(4);
  });
});
