import { describe, expect, it } from "vitest";
import { testStoreKind, useTestEnvironment } from "../../../test/support/store.js";
import { ConflictError, canonicalJson, fixedClock, type Indicator } from "../../core/index.js";
import { fromJson } from "../../store/index.js";
import { dnsLookup, intelMatch, makeAlert, makeEnrichment } from "../testing/fixtures.js";
import { AUGMENT_CAPS, loadVeraInput, summariseDestinations } from "./augment.js";
import { VeraInput, type Connection } from "./schema.js";
import { after, connections, phishingCredentials, security, storeEvents, sysmon, triagedCase } from "./testing.js";
import { insertAlertRow } from "../../../test/support/alerts.js";
import { attachAlert } from "../../cases/index.js";

/** Every leaf of a JSON value, as [path, value]; empty arrays and objects are leaves too. */
function leaves(value: unknown, path: (string | number)[] = []): [(string | number)[], unknown][] {
  if (Array.isArray(value)) return value.length ? value.flatMap((v, i) => leaves(v, [...path, i])) : [[path, value]];
  if (value && typeof value === "object") {
    const entries = Object.entries(value);
    return entries.length ? entries.flatMap(([k, v]) => leaves(v, [...path, k])) : [[path, value]];
  }
  return [[path, value]];
}

function at(value: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((v, key) => (v && typeof v === "object" ? (v as Record<string | number, unknown>)[key] : undefined), value);
}

const C2 = { threat_intel: { verdict: "malicious" as const, matches: [intelMatch("c2.example", 45)] } };

describe(`loadVeraInput (${testStoreKind()})`, () => {
  const clock = fixedClock("2026-11-24T12:00:00.000Z", 100);
  const { db } = useTestEnvironment();

  it("carries every leaf of TORA's stored escalation package into VERA's input (nothing dropped at the handoff)", async () => {
    const caseId = await triagedCase(db(), clock, phishingCredentials());
    const row = await db().selectFrom("decisions").select("output").where("case_id", "=", caseId).executeTakeFirstOrThrow();
    const stored = fromJson<Record<string, unknown>>(row.output, {});
    const pkg = stored.escalation_package as Record<string, unknown>;
    expect(pkg).toBeTruthy();
    expect((pkg.preserved_context as Record<string, unknown>).email_context).toMatchObject({ credentials_submitted: true });

    const input = await loadVeraInput(db(), caseId, clock);
    // Through the schema and a JSON round trip, as a queued or exported input would travel.
    const travelled = VeraInput.parse(JSON.parse(JSON.stringify(input)));
    const paths = leaves(stored);
    expect(paths.length).toBeGreaterThan(60);
    const lost = paths.filter(([path, value]) => canonicalJson(at(travelled.tora.output, path)) !== canonicalJson(value)).map(([path]) => path.join("."));
    expect(lost).toEqual([]);
    // The e-mail context also reaches VERA with the alert itself.
    expect(travelled.alerts[0]!.enrichment.email_context).toMatchObject({ credentials_submitted: true, page_loaded: true });
    expect(travelled.tora.decision_id).toBeTruthy();
  });

  it("records what each part queried and names missing telemetry instead of reporting a clean result", async () => {
    const caseId = await triagedCase(db(), clock, dnsLookup({}, { ...C2, asset: { telemetry: ["edr"], edr_present: true }, meta: { telemetry: ["edr"] } }));
    const input = await loadVeraInput(db(), caseId, clock);
    const aug = input.augmentation;
    for (const part of [aug.events_around, aug.persistence, aug.network, aug.authentication, aug.dns_history, aug.related_alerts])
      expect(part.queries.length).toBeGreaterThan(0);
    expect(aug.events_around.queries[0]).toMatchObject({ source: "events_around", args: { host: "WS-042", before_minutes: 30 } });
    expect(aug.network.missing_telemetry).toEqual([expect.stringMatching(/^network connections after .*: nothing stored for WS-042/)]);
    expect(aug.authentication.missing_telemetry).toEqual(["authentication logs: WS-042 has none (asset record)"]);
    expect(aug.dns_history.missing_telemetry).toEqual(["DNS logs: WS-042 has none (asset record)"]);
    expect(aug.missing_telemetry).toEqual(expect.arrayContaining([...aug.network.missing_telemetry, ...aug.authentication.missing_telemetry]));
    expect(aug.threat_actor.profiles).toEqual([expect.objectContaining({ associated_malware: "AsyncRAT", matched_indicators: ["c2.example"], max_source_count: 45 })]);
  });

  it("keeps each part within its cap and says so", async () => {
    const many = Array.from({ length: 70 }, (_, i) => sysmon(1, after(-20, i * 10), { Image: "C:\\Windows\\System32\\svchost.exe", ProcessId: 5000 + i, CommandLine: `svchost -k ${"x".repeat(1000)} ${i}` }));
    await storeEvents(db(), many);
    const caseId = await triagedCase(db(), clock, dnsLookup({}, C2));
    const input = await loadVeraInput(db(), caseId, clock);
    const anchor = input.augmentation.events_around.anchors.find((a) => a.host === "WS-042")!;
    expect(anchor.events).toHaveLength(AUGMENT_CAPS.eventsPerAnchor);
    expect(input.augmentation.events_around.truncated).toBe(true);
    const longest = Math.max(...anchor.events.map((e) => String(e.data.CommandLine ?? "").length));
    expect(longest).toBeLessThanOrEqual(AUGMENT_CAPS.valueChars);
  });

  it("reads connections, Windows logons, DNS history, related alerts and the actor's other infrastructure", async () => {
    await storeEvents(db(), [
      ...connections(5, { ip: "198.51.100.7", port: 443, image: "C:\\Windows\\System32\\rundll32.exe", interval: 120 }),
      ...Array.from({ length: 4 }, (_, i) => security(4625, after(-30, i), { Computer: "WS-042", TargetUserName: "jdoe", IpAddress: "10.9.9.9", LogonType: 3 })),
      security(4624, after(-25), { Computer: "WS-042", TargetUserName: "jdoe", IpAddress: "10.9.9.9", LogonType: 3 }),
      security(4624, after(20), { Computer: "FS-01", TargetUserName: "jdoe", IpAddress: "10.1.2.42", LogonType: 3 }),
      sysmon(22, after(-600), { Computer: "WS-077", Image: "C:\\Windows\\System32\\rundll32.exe", QueryName: "cdn.c2.example", QueryStatus: "0", QueryResults: "type:  5 x;::ffff:198.51.100.7;" }),
    ]);
    const otherAlert = makeAlert({
      title: "DNS query for c2.example",
      host: { name: "WS-077", ip: ["10.1.2.77"] },
      rule: { id: "other-rule", title: "other" },
      observables: [{ type: "domain", value: "c2.example", role: "dst" }],
    });
    await insertAlertRow(db(), otherAlert, { enrichment: makeEnrichment(otherAlert), stage: "enriched" });
    const { caseId: otherCase } = await attachAlert(db(), otherAlert, { windowMinutes: 60 }, clock);
    const related: Indicator = { type: "ip", value: "203.0.113.66", verdict: "malicious", source_count: 20, source_total: 60, associated_malware: "AsyncRAT", feed: "local" };
    await db().insertInto("indicators").values({ type: related.type, value: related.value, doc: canonicalJson(related), updated_at: "2026-11-20T00:00:00.000Z" }).execute();

    const caseId = await triagedCase(db(), clock, dnsLookup({ domain: "c2.example" }, C2));
    const input = await loadVeraInput(db(), caseId, clock);
    const aug = input.augmentation;

    const dest = aug.network.destinations.find((d) => d.dst_ip === "198.51.100.7")!;
    expect(dest).toMatchObject({ count: 5, dst_port: 443, interval_seconds: 120, jitter: 0, beaconing: true, case_indicator: true });
    expect(aug.authentication.summary).toMatchObject({ failures: 4, successes: 2, failure_then_success: [{ src_ip: "10.9.9.9", user: "jdoe", failures: 4 }] });
    expect(aug.authentication.events.find((e) => e.host === "FS-01")).toMatchObject({ kind: "success", logon_type: "3" });
    expect(aug.dns_history.lookups).toEqual([expect.objectContaining({ host: "WS-077", query: "cdn.c2.example", answers: ["x", "198.51.100.7"], response_code: "NOERROR" })]);
    expect(aug.dns_history.domains.find((d) => d.domain === "c2.example")).toMatchObject({ lookups: 1, hosts: ["WS-077"] });
    expect(aug.related_alerts.cases).toEqual([otherCase]);
    expect(aug.related_alerts.alerts[0]).toMatchObject({ alert_id: otherAlert.id, host: "WS-077" });
    expect(aug.related_alerts.alerts[0]!.shared).toContain("domain:c2.example");
    expect(aug.threat_actor.profiles[0]!.related_indicators).toEqual([{ type: "ip", value: "203.0.113.66" }]);
  });

  it("refuses a case TORA has not decided", async () => {
    const item = dnsLookup({}, C2);
    await insertAlertRow(db(), item.alert, { enrichment: item.enrichment, stage: "enriched" });
    const { caseId } = await attachAlert(db(), item.alert, { windowMinutes: 60 }, clock);
    await expect(loadVeraInput(db(), caseId, clock)).rejects.toBeInstanceOf(ConflictError);
  });
});

describe("summariseDestinations", () => {
  const conn = (seconds: number, ip = "198.51.100.7"): Connection => ({
    time: new Date(Date.parse("2026-11-24T10:00:00.000Z") + seconds * 1000).toISOString(),
    host: "WS-042",
    src_ip: "10.1.2.42",
    dst_ip: ip,
    dst_port: 443,
    dst_host: null,
    process: "C:\\x\\implant.exe",
    protocol: "tcp",
    bytes_out: null,
    event_id: `e${seconds}-${ip}`,
  });
  const scope = { domains: [], ips: ["198.51.100.7"] };

  it("calls a regular series with low jitter a beacon", () => {
    const [d] = summariseDestinations([0, 300, 601, 899, 1200, 1502].map((s) => conn(s)), scope);
    expect(d).toMatchObject({ count: 6, interval_seconds: 301, beaconing: true, case_indicator: true });
    expect(d!.jitter!).toBeLessThan(0.05);
  });

  it("does not call bursts or irregular traffic a beacon", () => {
    const [irregular] = summariseDestinations([0, 10, 400, 420, 2000, 2100].map((s) => conn(s)), scope);
    expect(irregular!.beaconing).toBe(false);
    const [few] = summariseDestinations([0, 60, 120].map((s) => conn(s, "192.0.2.1")), scope);
    expect(few).toMatchObject({ beaconing: false, case_indicator: false });
  });
});
