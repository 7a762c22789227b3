import { describe, expect, it } from "vitest";
import { normaliseAlert } from "../../normalise.js";
import type { Decoded } from "../tail/connector.js";
import { ZeekSettings, mappingOptions } from "./client.js";
import { decodeZeekLine, initialHeader, parseTsvLine, type ZeekHeader } from "./mapping.js";
import { INTEL_FIELDS, INTEL_TYPES, NOTICE_FIELDS, NOTICE_TYPES, WEIRD_FIELDS, WEIRD_TYPES, intelJson, intelRow, noticeJson, noticeRow, tsvClose, tsvHeader, weirdRow } from "./testing.js";

const options = (over: Record<string, unknown> = {}) => mappingOptions(ZeekSettings.parse({ name: "zeek", kind: "zeek", path: "/opt/zeek/logs/current/notice.log", ...over }));

/** Decodes a whole file's text, line by line, carrying the header as the tail does. */
function decodeFile(content: string, opts = options()): Decoded[] {
  let header: ZeekHeader = initialHeader();
  const out: Decoded[] = [];
  for (const line of content.split("\n").filter((l) => l !== "")) {
    const { result, state } = decodeZeekLine(line, header, opts);
    header = state;
    out.push(result);
  }
  return out;
}
const alerts = (decoded: Decoded[]) => decoded.flatMap((d) => (d.kind === "alert" ? [d.alert] : []));
function normalised(generic: unknown) {
  const result = normaliseAlert(generic, { id: "a1", receivedAt: "2026-11-24T12:00:00.000Z", origin: { via: "connector" } });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.alert;
}

describe("Zeek TSV parsing", () => {
  it("reads the header, unset and empty fields, sets, ports and \\x escapes", () => {
    let header = initialHeader();
    for (const line of tsvHeader("notice", NOTICE_FIELDS, NOTICE_TYPES).trim().split("\n")) header = decodeZeekLine(line, header).state;
    expect(header).toMatchObject({ separator: "\t", set_separator: ",", empty_field: "(empty)", unset_field: "-", path: "notice" });
    expect(header.fields).toEqual(NOTICE_FIELDS);
    const record = parseTsvLine(noticeRow({ msg: "tab\\x09inside", actions: "Notice::ACTION_LOG,Notice::ACTION_EMAIL" }).trimEnd(), header);
    expect(record).toMatchObject({ ts: 1795514400.123456, note: "SSH::Password_Guessing", msg: "tab\tinside", src: "198.51.100.23", email_dest: [], actions: ["Notice::ACTION_LOG", "Notice::ACTION_EMAIL"], suppress_for: 3600 });
    expect(record).not.toHaveProperty("uid");
    expect(record).not.toHaveProperty("p");
    expect(parseTsvLine("1\t2", header)).toMatch(/expected 21 fields, found 2/);
    expect(parseTsvLine("1\t2", initialHeader())).toMatch(/before the #fields header/);
  });
});

describe("Zeek notice, intel and weird mapping", () => {
  it("maps a TSV notice.log (password guessing, no connection) and skips header and footer lines", () => {
    const decoded = decodeFile(tsvHeader("notice", NOTICE_FIELDS, NOTICE_TYPES) + noticeRow() + tsvClose());
    expect(decoded.filter((d) => d.kind === "skip")).toHaveLength(9);
    const [generic] = alerts(decoded);
    const alert = normalised(generic);
    expect(alert).toMatchObject({
      source: "zeek",
      source_id: "notice:-:SSH::Password_Guessing:1795514400.123456:198.51.100.23",
      time: "2026-11-24T10:00:00.123Z",
      title: "SSH::Password_Guessing: 198.51.100.23 appears to be guessing SSH passwords (seen in 30 connections).",
      severity: "medium",
      subtype: "ssh_bruteforce",
      rule: { id: "SSH::Password_Guessing", title: "SSH::Password_Guessing", source: "zeek" },
      host: { name: "zeek-worker-1" },
      src: { ip: "198.51.100.23" },
    });
    expect(alert.dst).toBeNull();
    expect(alert.description).toContain("Sampled servers");
    expect(alert.unmapped).toMatchObject({ vendor_severity: "SSH::Password_Guessing", zeek_actions: ["Notice::ACTION_LOG"], zeek_suppress_for: 3600 });
  });

  it("maps a JSON notice with its connection and the severity table by notice type", () => {
    const [generic] = alerts(decodeFile(JSON.stringify(noticeJson())));
    const alert = normalised(generic);
    expect(alert).toMatchObject({
      source_id: "notice:CmES5u32sYpV7JYN:SSL::Invalid_Server_Cert:1795514520.5",
      time: "2026-11-24T10:02:00.500Z",
      severity: "low",
      src: { ip: "10.20.30.41", port: 49822 },
      dst: { ip: "203.0.113.80", port: 443 },
      network: { transport: "tcp" },
    });
    const raised = alerts(decodeFile(JSON.stringify(noticeJson()), options({ severity: { "SSL::Invalid_Server_Cert": "high" } })));
    expect(raised[0]!.severity).toBe("high");
    expect(decodeFile(JSON.stringify(noticeJson({ note: "CaptureLoss::Too_Much_Loss" })))).toEqual([{ kind: "skip" }]);
    expect(alerts(decodeFile(JSON.stringify(noticeJson({ note: "Site::Custom" }))))[0]!.severity).toBe("medium");
  });

  it("maps a TSV intel.log DNS match to a domain lookup with its sources", () => {
    const [generic] = alerts(decodeFile(tsvHeader("intel", INTEL_FIELDS, INTEL_TYPES) + intelRow()));
    const alert = normalised(generic);
    expect(alert).toMatchObject({
      source_id: "intel:CHhAvVGS1DHFjwGM9:xk2j9f.evil-domain.top:DNS::IN_REQUEST:1795514460.250001",
      title: "Zeek intel match: xk2j9f.evil-domain.top (DOMAIN in DNS::IN_REQUEST)",
      severity: "high",
      subtype: "dns_malicious_lookup",
      src: { ip: "10.20.30.41", port: 53211 },
      dst: { ip: "10.20.0.53", port: 53, domain: "xk2j9f.evil-domain.top" },
      network: { protocol: "dns" },
      host: { name: "zeek-worker-1" },
    });
    expect(alert.unmapped).toMatchObject({ intel_sources: ["abuse-feed", "misp-community"], intel_where: "DNS::IN_REQUEST" });
    expect(alert.observables).toContainEqual({ type: "domain", value: "xk2j9f.evil-domain.top", role: "other" });
  });

  it("maps a JSON intel address match with the indicator's role, and severity by indicator type", () => {
    const [generic] = alerts(decodeFile(JSON.stringify(intelJson()), options({ severity: { "Intel::ADDR": "critical" }, sensor: "zeek-core" })));
    const alert = normalised(generic);
    expect(alert).toMatchObject({ severity: "critical", host: { name: "zeek" }, dst: { ip: "203.0.113.80", port: 80 } });
    expect(alert.observables).toContainEqual({ type: "ip", value: "203.0.113.80", role: "dst" });
    expect(alert.subtype).toBeUndefined();
    const nested = { ts: 1795514580, uid: "C1", id: { orig_h: "10.0.0.1" }, seen: { indicator: "bad.example", indicator_type: "Intel::DOMAIN", where: "HTTP::IN_HOST_HEADER" }, sources: ["x"] };
    expect(normalised(alerts(decodeFile(JSON.stringify(nested)))[0])).toMatchObject({ dst: { domain: "bad.example" }, network: { protocol: "http" }, src: { ip: "10.0.0.1" } });
  });

  it("turns weird.log into alerts only when enabled", () => {
    const file = tsvHeader("weird", WEIRD_FIELDS, WEIRD_TYPES) + weirdRow();
    expect(alerts(decodeFile(file))).toEqual([]);
    const [generic] = alerts(decodeFile(file, options({ weird: true })));
    expect(normalised(generic)).toMatchObject({ title: "Zeek weird: SYN_seq_jump", severity: "low", source_id: "weird:Cj5SBc3x0kVmNyAZa:SYN_seq_jump:1795514470.0001" });
  });

  it("skips other logs, rejects lines it cannot read, and a new header resets the state", () => {
    const conn = JSON.stringify({ ts: 1795514400, uid: "C1", "id.orig_h": "10.0.0.1", proto: "tcp", conn_state: "S0" });
    expect(decodeFile(conn)).toEqual([{ kind: "skip" }]);
    expect(decodeFile("garbage without header")).toEqual([{ kind: "reject", reason: "a TSV data line before the #fields header" }]);
    expect(decodeFile('{"note": "X::Y", "ts": "soon"}')).toEqual([{ kind: "reject", reason: 'unreadable ts "soon"' }]);
    const restarted = tsvHeader("notice", NOTICE_FIELDS, NOTICE_TYPES) + noticeRow() + tsvHeader("intel", INTEL_FIELDS, INTEL_TYPES) + intelRow();
    expect(alerts(decodeFile(restarted)).map((a) => (a.unmapped as { zeek_log: string }).zeek_log)).toEqual(["notice", "intel"]);
  });
});
