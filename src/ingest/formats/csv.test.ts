import { describe, expect, it } from "vitest";
import { ValidationError } from "../../core/index.js";
import { normaliseAlert } from "../normalise.js";
import { MAP_TARGETS, columnForPath, flatRecordToGeneric, parseMapOption } from "./csv.js";

describe("--map", () => {
  it("parses target=source pairs", () => {
    expect(parseMapOption(" title=signature , host.name=hostname,dst.port = dest port ")).toEqual({
      title: "signature",
      "host.name": "hostname",
      "dst.port": "dest port",
    });
  });

  it("accepts at least the documented targets", () => {
    const documented = ["time", "title", "severity", "source", "source_id", "rule.id", "rule.title", "rule.level", "rule.author", "host.name", "host.ip", "src.ip", "src.port", "dst.ip", "dst.domain", "dst.port", "user.name", "subtype", "description"];
    expect(MAP_TARGETS).toEqual(expect.arrayContaining(documented));
    expect(Object.keys(parseMapOption(documented.map((t) => `${t}=c_${t}`).join(",")))).toEqual(documented);
  });

  it("names the accepted targets when one is unknown", () => {
    let error: unknown;
    try {
      parseMapOption("title=a,hostname=b");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const issue = (error as ValidationError).issues[0]!;
    expect(issue.path).toBe("map.hostname");
    expect(issue.message).toContain('unknown target "hostname"');
    expect(issue.message).toContain("host.name");
    expect(issue.message).toContain("rule.author");
  });

  it.each(["", "title", "title=", "title=a,title=b"])("refuses %j", (text) => {
    expect(() => parseMapOption(text)).toThrow(ValidationError);
  });
});

describe("flat records", () => {
  it("maps columns onto fields and keeps the others in unmapped", () => {
    const { alert, columns } = flatRecordToGeneric(
      { sig: "Port scan", sev: "LOW", hostname: "db-1", ips: "10.0.0.1; 10.0.0.2", dport: "22", tactic_list: "", analyst_note: "seen before" },
      { title: "sig", severity: "sev", "host.name": "hostname", "host.ip": "ips", "dst.port": "dport" },
    );
    expect(alert).toEqual({
      title: "Port scan",
      severity: "LOW",
      host: { name: "db-1", ip: ["10.0.0.1", "10.0.0.2"] },
      dst: { port: "22" },
      unmapped: { analyst_note: "seen before" },
    });
    expect(columns.get("dst.port")).toBe("dport");
    const result = normaliseAlert(alert, { id: "a", receivedAt: "2026-01-01T00:00:00.000Z", origin: { via: "file" } });
    expect(result.ok && result.alert).toMatchObject({ severity: "low", dst: { port: 22 }, host: { ip: ["10.0.0.1", "10.0.0.2"] }, unmapped: { analyst_note: "seen before" } });
  });

  it("uses columns named like fields directly, and merges a string form with dotted fields", () => {
    const { alert } = flatRecordToGeneric({ title: "t", host: "web-01", "host.ip": "10.0.0.9", "rule.id": "R-1", "attack.techniques": "T1110;T1078", other: "x" });
    expect(alert).toEqual({
      title: "t",
      host: { name: "web-01", ip: ["10.0.0.9"] },
      rule: { id: "R-1" },
      attack: { techniques: ["T1110", "T1078"] },
      unmapped: { other: "x" },
    });
  });

  it("lets a mapping win over a column of the same name", () => {
    const { alert } = flatRecordToGeneric({ title: "column title", name: "mapped title" }, { title: "name" });
    expect(alert).toEqual({ title: "mapped title", unmapped: { title: "column title" } });
  });

  it("names the source column of a field", () => {
    const columns = new Map([
      ["severity", "sev"],
      ["dst.port", "dport"],
    ]);
    expect(columnForPath(columns, "severity")).toBe("sev");
    expect(columnForPath(columns, "dst.port")).toBe("dport");
    expect(columnForPath(columns, "title")).toBeUndefined();
  });
});
