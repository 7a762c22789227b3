import { describe, expect, it } from "vitest";
import { fixedClock } from "../../core/index.js";
import { normaliseAlert } from "../normalise.js";
import { ConnectorMapping, applyMapping, withMapping } from "./common.js";
import { EMPTY_CHECKPOINT, type Connector } from "./types.js";

const mapping = (input: unknown) => ConnectorMapping.parse(input);

describe("connector mapping tables", () => {
  const alert = {
    title: "Suspicious PowerShell",
    severity: "high",
    host: { name: "WS-042.corp.example", ip: "10.1.2.3" },
    user: "jdoe@corp.example",
    unmapped: { vendor_severity: "12", device_id: "a1b2c3" },
  };

  it("maps a device id to a CMDB hostname before any rewrite, and keeps the original name", () => {
    const out = applyMapping(alert, mapping({ hosts: { A1B2C3: "ws-042" }, host_rewrites: [{ pattern: "(.+)\\.corp\\.example", replace: "$1-fqdn" }] })) as Record<string, unknown>;
    expect(out.host).toEqual({ name: "ws-042", ip: "10.1.2.3" });
    expect((out.unmapped as Record<string, unknown>).original_host).toBe("WS-042.corp.example");
  });

  it("rewrites host and user names with the first matching pattern", () => {
    const out = applyMapping(
      alert,
      mapping({
        host_rewrites: [
          { pattern: "nomatch", replace: "x" },
          { pattern: "(.+)\\.corp\\.example", replace: "$1" },
        ],
        user_rewrites: [{ pattern: "([^@]+)@corp\\.example", replace: "$1" }],
      }),
    ) as Record<string, unknown>;
    expect(out.host).toMatchObject({ name: "WS-042" });
    expect(out.user).toEqual({ name: "jdoe" });
    expect((out.unmapped as Record<string, unknown>).original_user).toBe("jdoe@corp.example");
  });

  it("sets the priority from the native severity first, then from the mapped severity, never over the sender's own", () => {
    expect((applyMapping(alert, mapping({ priority: { "12": "P1", high: "P2" } })) as { priority: string }).priority).toBe("P1");
    expect((applyMapping(alert, mapping({ priority: { high: "P2" } })) as { priority: string }).priority).toBe("P2");
    expect((applyMapping({ ...alert, priority: "P4" }, mapping({ priority: { high: "P1" } })) as { priority: string }).priority).toBe("P4");
    expect((applyMapping(alert, mapping({ priority: { low: "P4" } })) as { priority?: string }).priority).toBeUndefined();
  });

  it("passes values no table matches unchanged, and the mapped alert is a valid generic alert with its priority", () => {
    const out = applyMapping(alert, mapping({ hosts: { other: "x" }, priority: { high: "P2" } }));
    expect((out as { host: unknown }).host).toEqual(alert.host);
    const result = normaliseAlert(out, { id: "a1", receivedAt: "2026-11-24T10:00:00.000Z", origin: { via: "connector" } });
    expect(result.ok && result.alert.priority).toBe("P2");
    expect(result.ok && result.alert.host?.name).toBe("WS-042.corp.example");
  });

  it("refuses an invalid pattern or priority in the settings", () => {
    expect(ConnectorMapping.safeParse({ host_rewrites: [{ pattern: "(", replace: "" }] }).success).toBe(false);
    expect(ConnectorMapping.safeParse({ priority: { high: "P0" } }).success).toBe(false);
  });

  it("applies the tables to every page a wrapped connector returns", async () => {
    const inner: Connector = {
      name: "x",
      kind: "test",
      intervalSeconds: 60,
      pull: async () => ({ alerts: [alert, { ...alert, host: "ws-043.corp.example" }], checkpoint: EMPTY_CHECKPOINT, more: false }),
    };
    const wrapped = withMapping(inner, mapping({ host_rewrites: [{ pattern: "(.+)\\.corp\\.example", replace: "$1" }] }));
    const page = await wrapped.pull(EMPTY_CHECKPOINT, { clock: fixedClock("2026-11-24T10:00:00Z"), sleep: async () => {}, firstPage: true });
    expect(page.alerts.map((a) => (a as { host: { name: string } }).host.name)).toEqual(["WS-042", "ws-043"]);
    expect(withMapping(inner, mapping({}))).toBe(inner);
  });
});

describe("generic alert priority", () => {
  const base = { title: "t" };
  const normalise = (input: unknown) => normaliseAlert(input, { id: "a1", receivedAt: "2026-11-24T10:00:00.000Z", origin: { via: "api" } });
  it("accepts P1–P4 in any case or 1–4 and refuses anything else", () => {
    for (const [input, expected] of [["p2", "P2"], ["P4", "P4"], [1, "P1"], ["3", "P3"]] as const) {
      const result = normalise({ ...base, priority: input });
      expect(result.ok && result.alert.priority).toBe(expected);
    }
    for (const bad of ["P5", "high", 0]) {
      const result = normalise({ ...base, priority: bad });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.issues[0]!.path).toBe("priority");
    }
    const none = normalise(base);
    expect(none.ok && none.alert.priority).toBeUndefined();
  });
});

describe("vendor answers", () => {
  it("keep integers beyond 2^53 exact (ids, sequence numbers), and refuse what is not JSON", async () => {
    const { responseJson } = await import("./http.js");
    const body = '{"hits": {"hits": [{"_id": "a", "sort": [1732442400000, 18446744073709551615], "_source": {"data": {"flow_id": 1234567890123456789}}}]}}';
    expect(await responseJson(new Response(body))).toEqual({
      hits: { hits: [{ _id: "a", sort: [1732442400000, "18446744073709551615"], _source: { data: { flow_id: "1234567890123456789" } } }] },
    });
    await expect(responseJson(new Response("<html>"))).rejects.toThrow(SyntaxError);
  });
});
