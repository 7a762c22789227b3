import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { NIGHTSHIFT_VERSION, fixedClock, type Alert } from "../core/index.js";
import { attachAlert, exportAlerts, exportAlertsAs, exportCases, exportCasesAs, transitionCase } from "./index.js";
import { insertAlert, makeAlert } from "./test-alerts.js";

const schema = JSON.parse(readFileSync(path.join(import.meta.dirname, "formats", "ocsf.schema.json"), "utf8")) as Record<string, unknown>;
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
ajv.addSchema(schema);
const id = schema.$id as string;
const detection = ajv.getSchema(`${id}#/definitions/detection_finding`)!;
const incident = ajv.getSchema(`${id}#/definitions/incident_finding`)!;

async function collect(lines: AsyncIterable<unknown>): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const line of lines) out.push(line as Record<string, unknown>);
  return out;
}

function valid(validate: typeof detection, record: Record<string, unknown>): void {
  expect(validate(record), JSON.stringify(validate.errors, null, 1)).toBe(true);
  expect(record.type_uid).toBe((record.class_uid as number) * 100 + (record.activity_id as number));
}

const vera = { kind: "agent", name: "VERA" } as const;
const ana = { kind: "human", name: "ana" } as const;

describe(`alerts and cases export --format ocsf|ecs (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  const clock = fixedClock("2026-11-24T10:00:00Z", 1000);
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function stored(alert: Alert) {
    await insertAlert(env.store.db, alert);
    return (await attachAlert(env.store.db, alert, { windowMinutes: 60 }, clock)).caseId;
  }

  /** A rich alert (rule, ATT&CK with a sub-technique, endpoints, process) in a closed case, and a bare one left open. */
  async function scenario() {
    const rich = {
      ...makeAlert({ host: "ws-07", user: "bob", src_ip: "10.0.0.7", dst_domain: "evil.example", sha256: "a".repeat(64), techniques: ["T1059.001", "T1071"] }),
      time: "2026-11-24T08:00:00.000Z",
      received_at: "2026-11-24T08:00:05.000Z",
      severity: "high" as const,
      confidence: 80,
      description: "PowerShell beacon",
      subtype: "c2_beacon",
      rule: { id: "sigma-1234", title: "Encoded PowerShell", source: "sigma", author: "someone" },
      attack: { tactics: ["Execution", "Command and Control", "Custom Tactic"], tactic_ids: ["TA0002", "TA0011"], techniques: ["T1059.001", "T1071"] },
    };
    const richCase = await stored(rich);
    await transitionCase(env.store.db, richCase, { to: "in_progress", actor: vera, assignee: vera }, clock);
    await transitionCase(env.store.db, richCase, { to: "closed", actor: ana, verdict: "true_positive", rationale: "confirmed beacon" }, clock);
    const bare = { ...makeAlert({ host: null, rule: null, source_id: null }), time: "2026-11-24T08:30:00.000Z", received_at: "2026-11-24T08:30:00.000Z" };
    await insertAlert(env.store.db, bare);
    const openCase = await stored({ ...makeAlert({ host: "srv-2" }), time: "2026-11-24T09:00:00.000Z", received_at: "2026-11-24T09:00:00.000Z" });
    return { rich, richCase, bare, openCase };
  }

  it("writes alerts as OCSF Detection Findings (2004) that validate against the OCSF 1.8 schema", async () => {
    const s = await scenario();
    const records = await collect(exportAlertsAs(env.store.db, "ocsf", { pageSize: 2 }));
    expect(records).toHaveLength(3);
    for (const record of records) valid(detection, record);
    const [rich, bare, open] = records;
    expect(rich).toMatchObject({
      category_uid: 2,
      class_uid: 2004,
      activity_id: 3,
      type_uid: 200403,
      severity_id: 4,
      severity: "High",
      confidence_score: 80,
      confidence_id: 3,
      status_id: 4,
      time: Date.parse("2026-11-24T08:00:00.000Z"),
      metadata: { version: "1.8.0", product: { name: "Nightshift", version: NIGHTSHIFT_VERSION }, uid: s.rich.id, correlation_uid: s.richCase },
      finding_info: {
        uid: s.rich.id,
        title: s.rich.title,
        desc: "PowerShell beacon",
        analytic: { uid: "sigma-1234", name: "Encoded PowerShell", type_id: 1 },
        types: ["c2_beacon"],
      },
      device: { hostname: "ws-07", type_id: 0 },
    });
    const info = rich!.finding_info as { attacks: unknown[] };
    expect(info.attacks).toEqual([
      { technique: { uid: "T1059" }, sub_technique: { uid: "T1059.001" } },
      { technique: { uid: "T1071" } },
      { tactic: { uid: "TA0002", name: "Execution" } },
      { tactic: { uid: "TA0011", name: "Command and Control" } },
      { tactic: { name: "Custom Tactic" } },
    ]);
    expect(rich!.observables).toEqual(
      expect.arrayContaining([
        { name: "device.hostname", type_id: 1, type: "Hostname", value: "ws-07" },
        { name: "user.name", type_id: 4, type: "User Name", value: "bob" },
        { name: "ip", type_id: 2, type: "IP Address", value: "10.0.0.7" },
        { name: "domain", type_id: 1, type: "Hostname", value: "evil.example" },
        { name: "file.hashes.value", type_id: 8, type: "Hash", value: "a".repeat(64) },
      ]),
    );
    expect(bare).toMatchObject({ activity_id: 1, type_uid: 200401, status_id: 1, finding_info: { uid: s.bare.id } });
    expect(bare).not.toHaveProperty("device");
    expect(bare!.finding_info).not.toHaveProperty("analytic");
    expect(open).toMatchObject({ activity_id: 1, status_id: 1, metadata: { correlation_uid: s.openCase } });
  });

  it("writes cases as OCSF Incident Findings (2005) that validate, their alerts as finding_info_list", async () => {
    const s = await scenario();
    const records = await collect(exportCasesAs(env.store.db, "ocsf", { pageSize: 1 }));
    expect(records).toHaveLength(2);
    for (const record of records) valid(incident, record);
    const [closed, open] = records;
    expect(closed).toMatchObject({
      class_uid: 2005,
      activity_id: 3,
      type_uid: 200503,
      status_id: 5,
      status: "Closed",
      verdict_id: 2,
      verdict: "True Positive",
      desc: "confirmed beacon",
      assignee: { name: "VERA", type_id: 99, type: "Agent" },
      start_time: Date.parse("2026-11-24T08:00:00.000Z"),
      metadata: { version: "1.8.0", uid: s.richCase, profiles: ["incident"] },
      finding_info_list: [{ uid: s.rich.id, title: s.rich.title, analytic: { uid: "sigma-1234", type_id: 1 } }],
    });
    expect(closed!.attacks).toContainEqual({ tactic: { uid: "TA0011", name: "Command and Control" } });
    expect(open).toMatchObject({ activity_id: 1, status_id: 1, priority_id: 0, assignee_group: { name: "Nightshift crew" } });
    expect(open).not.toHaveProperty("verdict_id");
  });

  it("rejects records that miss what OCSF requires or name what OCSF does not define (the schema can fail)", async () => {
    await scenario();
    const [alert] = await collect(exportAlertsAs(env.store.db, "ocsf"));
    const [kase] = await collect(exportCasesAs(env.store.db, "ocsf"));
    const without = (record: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(record).filter(([k]) => k !== key));
    expect(detection(without(alert!, "finding_info"))).toBe(false);
    expect(detection({ ...alert, finding_info: { title: "no uid" } })).toBe(false);
    expect(detection({ ...alert, time: "2026-11-24T08:00:00Z" })).toBe(false);
    expect(detection({ ...alert, severity_id: 7 })).toBe(false);
    expect(detection({ ...alert, metadata: { version: "1.8.0" } })).toBe(false);
    expect(detection({ ...alert, not_ocsf: 1 })).toBe(false);
    expect(incident(without(without(kase!, "assignee"), "assignee_group"))).toBe(false);
    expect(incident(without(kase!, "finding_info_list"))).toBe(false);
  });

  it("writes ECS documents for alerts and cases", async () => {
    const s = await scenario();
    const [rich, bare] = await collect(exportAlertsAs(env.store.db, "ecs"));
    expect(rich).toMatchObject({
      "@timestamp": "2026-11-24T08:00:00.000Z",
      ecs: { version: "9.4.0" },
      event: { kind: "alert", id: s.rich.id, created: "2026-11-24T08:00:05.000Z", dataset: "nightshift.alerts", severity: 4, risk_score: 80 },
      rule: { id: "sigma-1234", name: "Encoded PowerShell", author: "someone", ruleset: "sigma" },
      threat: { framework: "MITRE ATT&CK", tactic: { id: ["TA0002", "TA0011"] }, technique: { id: ["T1059", "T1071"], subtechnique: { id: ["T1059.001"] } } },
      host: { name: "ws-07" },
      user: { name: "bob" },
      source: { ip: "10.0.0.7" },
      destination: { domain: "evil.example" },
      process: { name: "evil.exe", hash: { sha256: "a".repeat(64) } },
      related: { ip: ["10.0.0.7"], user: ["bob"], hosts: ["ws-07", "evil.example"], hash: ["a".repeat(64)] },
      nightshift: { case: { id: s.richCase, status: "closed", verdict: "true_positive" }, outcome: "closed" },
    });
    expect(JSON.stringify(bare)).not.toContain("null");
    const [kase] = await collect(exportCasesAs(env.store.db, "ecs"));
    expect(kase).toMatchObject({ event: { id: s.richCase, dataset: "nightshift.cases", start: "2026-11-24T08:00:00.000Z" }, nightshift: { case: { status: "closed" } } });
  });

  it("keeps the default ndjson format exactly the scoring contract", async () => {
    await scenario();
    expect(JSON.stringify(await collect(exportAlertsAs(env.store.db, "ndjson")))).toBe(JSON.stringify(await collect(exportAlerts(env.store.db))));
    expect(JSON.stringify(await collect(exportCasesAs(env.store.db, "ndjson")))).toBe(JSON.stringify(await collect(exportCases(env.store.db))));
  });
});
