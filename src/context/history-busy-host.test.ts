import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Alert, fixedClock } from "../core/index.js";
import type { Executor } from "../store/index.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { indexAlertHistory } from "./history-keys.js";
import { enrichAlert, loadContext } from "./index.js";
import { buildAlert, insertAlert } from "./testing.js";

const T = "2026-03-11T12:00:00.000Z";
const ago = (minutes: number) => new Date(Date.parse(T) - minutes * 60_000).toISOString();

/**
 * A busy host: every earlier alert on it shares only the host with a new one. They can only be listed as related
 * (the 20 newest), so enrichment reads about that many, not the host's whole history (quadratic over a flood).
 */
describe(`history of an alert on a busy host (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let db: Executor;
  beforeEach(async () => {
    env = await openTestEnvironment();
    db = env.store.db;
    await loadContext(db, { assets: [{ hostname: "mail", ips: ["10.0.0.4"], criticality: "high", environment: "production" }] }, { clock: fixedClock("2026-03-01T00:00:00Z") });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await env.cleanup();
  });

  it("lists the 20 newest related alerts and counts the rule's, reading only a page of the host's history", async () => {
    const dovecot = { id: "dovecot", title: "Dovecot authentication success" };
    for (let i = 1; i <= 300; i++) await insertAlert(db, buildAlert({ time: ago(i), rule: i % 3 === 0 ? dovecot : { id: `r-${i % 3}`, title: "other" }, host: { name: "mail", ip: ["10.0.0.4"] } }));
    // Another host's alert through the same address long ago, and one after the alert: neither is related.
    await insertAlert(db, buildAlert({ time: ago(-5), rule: dovecot, host: { name: "mail", ip: ["10.0.0.4"] } }));
    const alert = await insertAlert(db, buildAlert({ time: T, rule: dovecot, host: { name: "mail", ip: ["10.0.0.4"] } }));

    await indexAlertHistory(db); // the one-time keying of new alerts reads each once: not counted here
    const parse = vi.spyOn(Alert, "safeParse");
    const e = await enrichAlert(db, alert, { historyWindowHours: 168, suppressionMaxAgeDays: 90, clock: fixedClock("2026-03-11T12:05:00Z") });
    expect(e.history.related_alerts).toHaveLength(20);
    expect(e.history.related_alerts.map((r) => r.time)).toEqual(Array.from({ length: 20 }, (_, i) => ago(i + 1)));
    expect(e.history.related_alerts[0]!.shared).toEqual(["host:mail"]);
    expect(e.history.same_rule_count).toBe(100);
    expect(e.history.windows!["1h"]).toEqual({ same_indicator: 0, same_src: 0, same_rule: 20, assets: 1 });
    expect(e.history.windows!["7d"]).toEqual({ same_indicator: 0, same_src: 0, same_rule: 100, assets: 1 });
    // A page of 100, not the 300 alerts of the host.
    expect(parse.mock.calls.length).toBeLessThanOrEqual(100);
  });
});
