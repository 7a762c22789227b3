import { describe, expect, it } from "vitest";
import { fixedClock } from "../core/index.js";
import { useTestEnvironment } from "../../test/support/store.js";
import { getAsset, getIdentity, loadContext, parseContextCsv, responseTargetFacts } from "./index.js";

describe("do-not-touch marks (read by the response tier's policy)", () => {
  const { db } = useTestEnvironment();
  const clock = fixedClock("2026-11-24T00:00:00Z");

  it("an asset and an identity keep the flag through loading and lookup", async () => {
    await loadContext(
      db(),
      {
        assets: [
          { hostname: "plc-gw-01", criticality: "critical", environment: "production", do_not_touch: true },
          { hostname: "ws-042", criticality: "low", environment: "production" },
        ],
        identities: [{ username: "breakglass", user_type: "human", privilege_level: "admin", do_not_touch: true }],
      },
      { clock },
    );
    expect((await getAsset(db(), "plc-gw-01"))?.do_not_touch).toBe(true);
    expect((await getAsset(db(), "ws-042"))?.do_not_touch).toBeUndefined();
    expect((await getIdentity(db(), "breakglass"))?.do_not_touch).toBe(true);
    expect(await responseTargetFacts(db(), { kind: "host", value: "PLC-GW-01" })).toEqual({ criticality: "critical", environment: "production", do_not_touch: true, known: true });
    expect(await responseTargetFacts(db(), { kind: "host", value: "unknown-host" })).toEqual({ criticality: null, environment: null, do_not_touch: false, known: false });
    expect(await responseTargetFacts(db(), { kind: "account", value: "CORP\\breakglass" })).toMatchObject({ do_not_touch: true, known: true });
  });

  it("a CMDB CSV carries it as a column", () => {
    const data = parseContextCsv("hostname,criticality,environment,do_not_touch\nplc-gw-01,critical,production,yes\nws-1,low,production,no\n");
    expect(data.assets.map((a) => a.do_not_touch)).toEqual([true, false]);
  });
});
