import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixedClock, ValidationError } from "../core/index.js";
import type { Executor } from "../store/index.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { enrichAlert, getIdentity, identityAsOf, loadContext, parseAnomalyCell, parseContextCsv } from "./index.js";
import { buildAlert } from "./testing.js";

const T = "2026-03-11T12:00:00.000Z";
const base = { username: "jdoe", user_type: "human", privilege_level: "standard", recent_anomaly: false } as const;

describe("identity as of the alert's time", () => {
  const anomalies = [
    { kind: "impossible_travel", time: "2026-03-10T03:00:00.000Z", detail: "Lisbon then Osaka in 40 min" },
    { kind: "mfa_fatigue", time: "2026-01-01T00:00:00.000Z" },
    { kind: "new_country", time: "2026-03-12T00:00:00.000Z" },
  ];

  it("marks an anomaly within the window before the alert as recent, lists it, and never looks after the alert", () => {
    const asOf = identityAsOf({ ...base, anomalies }, T, 30);
    expect(asOf.recent_anomaly).toBe(true);
    expect(asOf.recent_anomalies).toEqual([anomalies[0]]);
    // The anomaly after the alert is not known yet at its time: a replay must enrich the same way.
    expect(asOf.anomalies!.map((a) => a.kind)).toEqual(["impossible_travel", "mfa_fatigue"]);
  });

  it("keeps recent_anomaly false when every anomaly is older than the window or after the alert", () => {
    const asOf = identityAsOf({ ...base, anomalies }, "2026-03-09T00:00:00.000Z", 30);
    expect(asOf.recent_anomaly).toBe(false);
    expect(asOf.recent_anomalies).toEqual([]);
    // A wider window reaches the January anomaly.
    expect(identityAsOf({ ...base, anomalies }, "2026-03-09T00:00:00.000Z", 90).recent_anomalies!.map((a) => a.kind)).toEqual(["mfa_fatigue"]);
  });

  it("keeps the record's own flag when it says so, and leaves a record without anomalies untouched", () => {
    expect(identityAsOf({ ...base, recent_anomaly: true, anomalies: [] }, T).recent_anomaly).toBe(true);
    const plain = { ...base, mfa_enabled: true };
    expect(identityAsOf(plain, T)).toEqual(plain);
  });

  it("reads kind@time cells with an optional detail, and names a bad part", () => {
    expect(parseAnomalyCell("impossible_travel@2026-03-10T03:00Z; new_country:BR@2026-03-01")).toEqual({
      anomalies: [
        { kind: "impossible_travel", time: "2026-03-10T03:00Z" },
        { kind: "new_country", time: "2026-03-01", detail: "BR" },
      ],
    });
    expect(parseAnomalyCell("impossible_travel")).toEqual({ error: expect.stringContaining('"impossible_travel"') });
  });
});

describe("identities CSV with the extended fields", () => {
  it("accepts anomalies, MFA methods, groups, manager, password change and disabled", () => {
    const csv = [
      "username,user_type,privilege_level,anomalies,mfa_methods,groups,manager,last_password_change,disabled",
      "jdoe,human,standard,impossible_travel@2026-03-10T03:00:00Z;unusual_hour@2026-03-09 23:10,push;fido2,Finance;VPN Users,asmith,2026-02-01,no",
    ].join("\n");
    const [identity] = parseContextCsv(csv).identities;
    expect(identity).toMatchObject({
      anomalies: [
        { kind: "impossible_travel", time: "2026-03-10T03:00:00.000Z" },
        { kind: "unusual_hour", time: "2026-03-09T23:10:00.000Z" },
      ],
      mfa_methods: ["push", "fido2"],
      groups: ["Finance", "VPN Users"],
      manager: "asmith",
      last_password_change: "2026-02-01T00:00:00.000Z",
      disabled: false,
    });
  });

  it("reports a bad anomaly cell and a bad anomaly time by row and field, and returns nothing", () => {
    const csv = ["username,user_type,privilege_level,anomalies", "jdoe,human,standard,travel", "asmith,human,standard,travel@yesterday"].join("\n");
    let error: unknown;
    try {
      parseContextCsv(csv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(["row 2: anomalies", "row 3: anomalies[0].time"]);
  });
});

describe(`identity enrichment with anomalies (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let db: Executor;
  beforeEach(async () => {
    env = await openTestEnvironment();
    db = env.store.db;
    await loadContext(
      db,
      {
        identities: [
          {
            ...base,
            mfa_enabled: true,
            risk_score: 40,
            anomalies: [
              { kind: "mfa_fatigue", time: "2026-03-05T02:00:00+01:00" },
              { kind: "new_country", time: "2026-03-20T00:00:00Z" },
            ],
            groups: ["Finance"],
          },
        ],
      },
      { clock: fixedClock("2026-03-01T00:00:00Z") },
    );
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const login = (time: string, anomalyWindowDays?: number) =>
    enrichAlert(db, buildAlert({ time, subtype: "auth_anomalous_login", user: { name: "CORP\\jdoe" } }), {
      historyWindowHours: 24,
      suppressionMaxAgeDays: 90,
      clock: fixedClock("2026-03-21T00:00:00Z"),
      anomalyWindowDays,
    });

  it("stores anomaly times as UTC instants and loads the new fields", async () => {
    const stored = await getIdentity(db, "jdoe");
    expect(stored?.anomalies?.[0]).toEqual({ kind: "mfa_fatigue", time: "2026-03-05T01:00:00.000Z" });
    expect(stored?.groups).toEqual(["Finance"]);
  });

  it("sets recent_anomaly as of the alert's time and lists the recent anomalies", async () => {
    const during = await login(T);
    expect(during.identity?.recent_anomaly).toBe(true);
    expect(during.identity?.recent_anomalies).toEqual([{ kind: "mfa_fatigue", time: "2026-03-05T01:00:00.000Z" }]);
    expect(during.identity?.anomalies).toHaveLength(1);

    const before = await login("2026-03-01T00:00:00.000Z");
    expect(before.identity?.recent_anomaly).toBe(false);
    expect(before.identity?.recent_anomalies).toEqual([]);

    const narrow = await login(T, 5);
    expect(narrow.identity?.recent_anomaly).toBe(false);
  });
});
