import { describe, expect, it } from "vitest";
import { ageDays, isInternalIp, isWithinDomain, parentDomains, toIsoUtc, urlKey, userKey } from "./normalise.js";

describe("normalise", () => {
  it("reduces every form of a user name to the bare lower-case name", () => {
    expect(["CORP\\JDoe", "jdoe@corp.example", "JDOE", " corp.example\\jdoe "].map(userKey)).toEqual(["jdoe", "jdoe", "jdoe", "jdoe"]);
  });

  it("lists parent domains down to the registrable pair, never a bare top-level label", () => {
    expect(parentDomains("A.b.Evil.Example.")).toEqual(["b.evil.example", "evil.example"]);
    expect(parentDomains("evil.example")).toEqual([]);
    expect(isWithinDomain("x.evil.example", "evil.example")).toBe(true);
    expect(isWithinDomain("notevil.example", "evil.example")).toBe(false);
  });

  it("tells our own addresses from outside ones", () => {
    expect(["10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "fd00::1", "fe80::1", "::ffff:10.0.0.1"].map(isInternalIp)).toEqual(
      Array(7).fill(true),
    );
    expect(["203.0.113.7", "172.32.0.1", "8.8.8.8", "2001:db8::1", "not-an-ip"].map(isInternalIp)).toEqual(Array(5).fill(false));
  });

  it("reads ISO-8601 dates as UTC instants and refuses anything else", () => {
    expect(toIsoUtc("2026-03-01")).toBe("2026-03-01T00:00:00.000Z");
    expect(toIsoUtc("2026-03-01T10:00")).toBe("2026-03-01T10:00:00.000Z");
    expect(toIsoUtc("2026-03-01T10:00:00+0200")).toBe("2026-03-01T08:00:00.000Z");
    expect(toIsoUtc("1")).toBeNull();
    expect(toIsoUtc("March 1st")).toBeNull();
  });

  it("measures ages in tenths of a day, never negative", () => {
    expect(ageDays("2026-03-01T00:00:00Z", "2026-03-11T12:00:00Z")).toBe(10.5);
    expect(ageDays("2026-03-12T00:00:00Z", "2026-03-11T00:00:00Z")).toBe(0);
    expect(urlKey("HTTPS://Evil.Example/Path")).toBe("https://evil.example/Path");
  });
});
