import { describe, expect, it } from "vitest";
import { insertAlertRow } from "../../test/support/alerts.js";
import { testStoreKind, useTestEnvironment } from "../../test/support/store.js";
import { attachAlert } from "../cases/index.js";
import { fixedClock } from "../core/index.js";
import { dnsLookup, intelMatch } from "../crew/testing/fixtures.js";
import { investigateCase } from "../crew/vera/handler.js";
import { connections, storeEvents, triagedCase } from "../crew/vera/testing.js";
import { shiftSummary } from "./summary.js";

const C2 = { threat_intel: { verdict: "malicious" as const, matches: [intelMatch("c2.example", 45)] } };

describe(`shiftSummary (${testStoreKind()})`, () => {
  const clock = fixedClock("2026-11-24T12:00:00.000Z", 100);
  const { db } = useTestEnvironment();

  it("counts cases by TORA's verdict whatever VERA decided after, VERA's verdicts beside, untriaged as PENDING", async () => {
    await storeEvents(db(), connections(6, { ip: "198.51.100.7", port: 443, image: "C:\\Windows\\System32\\rundll32.exe" }));
    const escalated = await triagedCase(db(), clock, dnsLookup({}, C2));
    await investigateCase(db(), escalated, clock);

    const untriaged = dnsLookup({ domain: "other.example" }, C2);
    untriaged.alert.rule = { id: "dns-other", title: "Another rule on another host: another case" };
    untriaged.alert.host = { name: "ws-other", ip: [] };
    await insertAlertRow(db(), untriaged.alert, { enrichment: untriaged.enrichment, stage: "enriched", dedupeKey: "untriaged-1" });
    await attachAlert(db(), untriaged.alert, { windowMinutes: 120 }, clock);

    expect(await shiftSummary(db())).toEqual({
      alerts: 2,
      cases: 2,
      by_verdict: { ESCALATED: 1, PENDING: 1 },
      by_status: { in_progress: 1, new: 1 },
      by_vera_verdict: { ESCALATE_TO_ARIA: 1 },
    });
  });
});
