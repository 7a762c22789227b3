import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixedClock, type Alert } from "../core/index.js";
import type { Executor } from "../store/index.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { windowLabel } from "./history.js";
import { enrichAlert, loadContext } from "./index.js";
import { buildAlert, insertAlert } from "./testing.js";

const T = "2026-03-11T12:00:00.000Z";
const ago = (hours: number) => new Date(Date.parse(T) - hours * 3_600_000).toISOString();

describe(`history windows (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let db: Executor;
  beforeEach(async () => {
    env = await openTestEnvironment();
    db = env.store.db;
    await loadContext(
      db,
      {
        assets: [
          { hostname: "ws-01", ips: ["10.0.0.11"], criticality: "medium", environment: "production" },
          { hostname: "ws-02", ips: ["10.0.0.12"], criticality: "medium", environment: "production" },
        ],
        indicators: [{ type: "domain", value: "evil.example", source_count: 10, source_total: 60 }],
      },
      { clock: fixedClock("2026-03-01T00:00:00Z") },
    );
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const enrich = (alert: Alert, historyWindowHours = 168) =>
    enrichAlert(db, alert, { historyWindowHours, suppressionMaxAgeDays: 90, clock: fixedClock("2026-03-11T12:05:00Z") });
  const rule = { id: "r-c2", title: "C2 beacon" };
  const earlier = (hoursAgo: number, overrides: Partial<Alert>) => insertAlert(db, buildAlert({ time: ago(hoursAgo), ...overrides }));

  it("counts the same indicator, source address and rule over 1 h, 24 h and the history window, with distinct assets", async () => {
    // 30 min ago: same domain on another host (found through its address), same rule.
    await earlier(0.5, { rule, host: { ip: ["10.0.0.12"] }, dst: { domain: "evil.example" } });
    // 5 h ago: same (private, so not an indicator) source address on a third host, other rule.
    await earlier(5, { host: { name: "ws-03", ip: [] }, src: { ip: "10.9.9.9" } });
    // 3 days ago: same rule only, on a fourth host.
    await earlier(72, { rule, host: { name: "ws-04", ip: [] } });
    // 3 days ago: a subdomain of the known-bad domain on this host.
    await earlier(72, { host: { name: "ws-01", ip: [] }, dst: { domain: "cdn.evil.example" } });
    // Outside the 7-day window, and after the alert: never counted.
    await earlier(200, { rule, host: { name: "ws-05", ip: [] }, dst: { domain: "evil.example" }, src: { ip: "10.9.9.9" } });
    await earlier(-1, { rule, host: { name: "ws-06", ip: [] }, dst: { domain: "evil.example" }, src: { ip: "10.9.9.9" } });

    const alert = await insertAlert(
      db,
      buildAlert({ time: T, rule, host: { name: "ws-01", ip: [] }, src: { ip: "10.9.9.9" }, dst: { domain: "evil.example" } }),
    );
    const e = await enrich(alert);
    expect(e.history.windows).toEqual({
      "1h": { same_indicator: 1, same_src: 0, same_rule: 1, assets: 2 },
      "24h": { same_indicator: 1, same_src: 1, same_rule: 1, assets: 3 },
      "7d": { same_indicator: 2, same_src: 1, same_rule: 2, assets: 4 },
    });
    // The long-standing fields keep their meaning: the whole window.
    expect(e.history).toMatchObject({ same_indicator_count: 2, same_src_count: 1, same_rule_count: 2, window_hours: 168 });
    expect(e.history.same_indicator_assets).toEqual(["ws-01", "ws-02"]);
  });

  it("never opens a window wider than the configured history, and names it in hours when not whole days", async () => {
    await earlier(10, { rule, host: { name: "ws-02", ip: [] } });
    const alert = await insertAlert(db, buildAlert({ time: T, rule, host: { name: "ws-01", ip: [] } }));
    const e = await enrich(alert, 12);
    expect(e.history.windows).toEqual({
      "1h": { same_indicator: 0, same_src: 0, same_rule: 0, assets: 1 },
      "12h": { same_indicator: 0, same_src: 0, same_rule: 1, assets: 2 },
    });
    expect([windowLabel(1), windowLabel(24), windowLabel(168), windowLabel(36)]).toEqual(["1h", "24h", "7d", "36h"]);
  });
});
