import { describe, expect, it } from "vitest";
import { Enrichment, ToraOutput, ValidationError, severityRank, type Alert } from "../../core/index.js";
import {
  DEFAULT_IDENTITY,
  benignUpdateLookup,
  dnsLookup,
  intelMatch,
  makeAlert,
  makeEnrichment,
  signedVendorProcess,
  toraInput,
  type EnrichmentPatch,
  type Item,
  suppressionMatch,
} from "../testing/fixtures.js";
import { triageDeterministic } from "./deterministic.js";
import { unenrichedEnrichment } from "./schema.js";

const CASE = "TORA-20261124-0001";
const triage = (...items: Item[]) => triageDeterministic(toraInput(CASE, ...items));
const malicious = (count = 45, age: number | null = 12): EnrichmentPatch => ({
  threat_intel: { verdict: "malicious", matches: [intelMatch("c2.example", count, { age })] },
});

function sshAlert(subtype: string, options: { severity?: Alert["severity"]; patch?: EnrichmentPatch; src?: string } = {}): Item {
  const src = options.src ?? "203.0.113.9";
  const alert = makeAlert({
    title: `sshd: ${subtype}`,
    severity: options.severity ?? "medium",
    subtype,
    source: "wazuh",
    rule: { id: `wazuh-${subtype}`, title: subtype.replace(/_/g, " ") },
    host: { name: "SRV-APP-01", ip: ["10.0.5.10"] },
    user: { name: "deploy" },
    src: { ip: src },
    dst: { ip: "10.0.5.10", port: 22 },
    network: { protocol: "ssh" },
  });
  return {
    alert,
    enrichment: makeEnrichment(alert, {
      network: { src_ip: src, src_hostname: null, dst_ip: "10.0.5.10", dst_port: 22, protocol: "ssh" },
      asset: { hostname: "SRV-APP-01", ips: ["10.0.5.10"], criticality: "medium", environment: "staging" },
      identity: { username: "deploy", department: "engineering" },
      ...options.patch,
    }),
  };
}

function phishing(subtype: string, email: NonNullable<Alert["email"]>, patch: EnrichmentPatch = {}): Item {
  const alert = makeAlert({
    title: `Phishing: ${email.subject ?? ""}`,
    severity: "medium",
    subtype,
    source: "o365",
    host: null,
    src: null,
    user: { name: "jdoe" },
    email,
    observables: [{ type: "email", value: email.sender ?? "x@y.example", role: "src" }],
  });
  return {
    alert,
    enrichment: makeEnrichment(alert, { network: { src_ip: null, src_hostname: null }, asset: null, email_context: { ...email }, ...patch }),
  };
}

function powershell(patch: EnrichmentPatch = {}): Item {
  const alert = makeAlert({
    title: "Encoded PowerShell from Word",
    severity: "medium",
    subtype: "suspicious_powershell",
    source: "sysmon",
    rule: { id: "ps-enc-001", title: "Encoded PowerShell command line" },
    attack: { tactics: ["execution", "defense-evasion"], techniques: ["T1059.001", "T1027"] },
    process: {
      name: "powershell.exe",
      command_line: "powershell -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA",
      parent_name: "WINWORD.EXE",
      signed: true,
      signer: "Microsoft Windows",
      sha256: "b".repeat(64),
    },
  });
  return { alert, enrichment: makeEnrichment(alert, patch) };
}

const TUNNEL_DOMAIN = "aGVsbG8gd29ybGQgdGhpcyBpcyBzZWNyZXQgZGF0YQ.x7k2p9q.tunnel.example";
const FLUX_ANSWERS = ["203.0.113.1", "198.51.100.2", "192.0.2.3", "203.0.113.44", "198.51.100.99", "192.0.2.200"];

interface SubtypeCase {
  name: string;
  item: () => Item;
  verdict: ToraOutput["verdict"];
  priority: ToraOutput["priority"];
  rules?: string[];
  /** Values from the data the hypothesis must name. */
  mentions: string[];
}

const SUBTYPES: SubtypeCase[] = [
  {
    name: "dns_malicious_lookup resolved (NOERROR) with strong fresh intel",
    item: () => dnsLookup({}, malicious()),
    verdict: "ESCALATED",
    priority: "P2",
    rules: ["severity_high_or_critical"],
    mentions: ["WS-042", "c2.example", "NOERROR", "198.51.100.7", "AsyncRAT", "45/60", "refutes"],
  },
  {
    name: "dns_malicious_lookup with active C2 on a critical asset",
    item: () => dnsLookup({}, { ...malicious(), asset: { criticality: "critical" } }),
    verdict: "ESCALATED",
    priority: "P1",
    rules: ["severity_high_or_critical", "asset_criticality_high"],
    mentions: ["WS-042", "c2.example", "198.51.100.7"],
  },
  {
    name: "dns_tunneling with TXT queries and long high-entropy labels",
    item: () => dnsLookup({ domain: TUNNEL_DOMAIN, qtype: "TXT", subtype: "dns_tunneling", rcode: "NXDOMAIN" }),
    verdict: "ESCALATED",
    priority: "P2",
    rules: ["severity_high_or_critical"],
    mentions: ["TXT", "tunnel.example", "unique subdomains", "refutes"],
  },
  {
    name: "dns_fast_flux with six answers and moderate intel",
    item: () =>
      dnsLookup(
        { domain: "flux.example", subtype: "dns_fast_flux", answers: FLUX_ANSWERS },
        { threat_intel: { verdict: "suspicious", matches: [intelMatch("flux.example", 6, { malware: null, category: "phishing" })] } },
      ),
    verdict: "ESCALATED",
    priority: "P2",
    mentions: ["flux.example", "6 address", "203.0.113.1", "rotating"],
  },
  {
    name: "ssh_bruteforce without success",
    item: () => sshAlert("ssh_bruteforce"),
    verdict: "ESCALATED",
    priority: "P2",
    mentions: ["203.0.113.9", "SRV-APP-01", "successful login from 203.0.113.9"],
  },
  {
    name: "ssh_login_success after a brute force in history",
    item: () =>
      sshAlert("ssh_login_success", {
        severity: "low",
        patch: {
          history: {
            related_alerts: [
              { alert_id: "old-1", time: "2026-11-24T09:50:00.000Z", title: "sshd brute force", subtype: "ssh_bruteforce", rule_id: null, host: "SRV-APP-01", shared: ["src.ip:203.0.113.9"] },
            ],
          },
        },
      }),
    verdict: "ESCALATED",
    priority: "P1",
    rules: ["bruteforce_then_success"],
    mentions: ["203.0.113.9", "brute-forced", "deploy", "SRV-APP-01"],
  },
  {
    name: "ssh_bruteforce_c2_dns",
    item: () => sshAlert("ssh_bruteforce_c2_dns"),
    verdict: "ESCALATED",
    priority: "P1",
    rules: ["bruteforce_then_success"],
    mentions: ["203.0.113.9", "logged in successfully"],
  },
  {
    name: "phishing_email_credential_harvest with credentials submitted",
    item: () =>
      phishing("phishing_email_credential_harvest", {
        subject: "Your mailbox is full",
        sender: "it-support@rnicrosoft.example",
        recipients: ["jdoe@corp.example"],
        recipient_count: 1,
        gateway_verdict: "phish",
        gateway_action: "delivered",
        links: ["https://login.rnicrosoft.example/owa"],
        page_loaded: true,
        credentials_submitted: true,
        spf: "fail",
        dmarc: "fail",
      }),
    verdict: "ESCALATED",
    priority: "P1",
    rules: ["credentials_submitted"],
    mentions: ["it-support@rnicrosoft.example", "credentials were submitted", "sign-ins for jdoe"],
  },
  {
    name: "phishing_email_malicious_link delivered",
    item: () =>
      phishing(
        "phishing_email_malicious_link",
        {
          subject: "Invoice 4471",
          sender: "billing@vendor-pay.example",
          recipients: ["jdoe@corp.example"],
          recipient_count: 1,
          gateway_verdict: "suspicious",
          gateway_action: "delivered",
          links: ["https://vendor-pay.example/inv"],
        },
        { threat_intel: { verdict: "malicious", matches: [intelMatch("vendor-pay.example", 6, { malware: null, category: "phishing" })] } },
      ),
    verdict: "ESCALATED",
    priority: "P2",
    mentions: ["billing@vendor-pay.example", "vendor-pay.example", "proxy"],
  },
  {
    name: "phishing_email_malicious_attachment delivered to two recipients",
    item: () =>
      phishing("phishing_email_malicious_attachment", {
        subject: "Scanned document",
        sender: "scanner@print.example",
        recipients: ["jdoe@corp.example", "bob@corp.example"],
        recipient_count: 2,
        gateway_verdict: "malware",
        gateway_action: "delivered",
        attachments: ["scan_0042.docm"],
      }),
    verdict: "ESCALATED",
    priority: "P2",
    mentions: ["scan_0042.docm", "child process", "scanner@print.example"],
  },
  {
    name: "suspicious powershell spawned by Word",
    item: () => powershell(),
    verdict: "ESCALATED",
    priority: "P2",
    mentions: ["powershell.exe", "WINWORD.EXE", "WS-042", "-enc", "persistence"],
  },
  {
    name: "process_creation signed by a known vendor under a suppression",
    item: () => signedVendorProcess(),
    verdict: "CLOSED",
    priority: "P4",
    mentions: [],
  },
  {
    name: "generic fallback",
    item: () => {
      const alert = makeAlert({ title: "Odd thing", severity: "low", subtype: "port_scan", rule: { id: "scan-1", title: "Port scan" }, dst: { ip: "10.9.9.9", port: 4444 } });
      return { alert, enrichment: makeEnrichment(alert, { network: { dst_ip: "10.9.9.9", dst_port: 4444 } }) };
    },
    verdict: "ESCALATED",
    priority: "P2",
    mentions: ["Port scan", "10.9.9.9", "4444", "refutes"],
  },
];

describe("triageDeterministic per subtype", () => {
  it.each(SUBTYPES)("$name → $verdict $priority", (c) => {
    const out = triage(c.item());
    expect(ToraOutput.safeParse(out).success).toBe(true);
    expect(out.verdict).toBe(c.verdict);
    expect(out.priority).toBe(c.priority);
    if (c.rules) expect(out.forced_escalation.rules.map((r) => r.id)).toEqual(c.rules);
    if (c.verdict === "ESCALATED") {
      const hypothesis = out.escalation_package!.hypothesis;
      for (const value of c.mentions) expect(hypothesis).toContain(value);
      expect(out.escalation_package!.suggested_focus.length).toBeGreaterThanOrEqual(2);
      expect(out.escalation_package!.priority).toBe(out.priority);
    }
    expect(out.reasoning_trace.map((s) => s.step)).toEqual([1, 2, 3, 4]);
    for (const step of out.reasoning_trace) expect(step.findings.length).toBeGreaterThan(0);
    const sentences = out.narrative.split(/(?<=[.!?])\s+(?=[A-Z0-9])/);
    expect(sentences.length).toBeGreaterThanOrEqual(3);
    expect(sentences.length).toBeLessThanOrEqual(6);
    expect(out.nova_feed.alert_type).toBe(c.item().alert.subtype);
    expect(out.nova_feed.duration_ms).toBe(0);
  });

  it("records concrete values in the trace, not platitudes", () => {
    const out = triage(dnsLookup({}, malicious()));
    const [severity, fp, context, decision] = out.reasoning_trace;
    expect(severity!.findings.join(" ")).toMatch(/intel_strong.*45\/60/);
    expect(severity!.outcome).toContain("high");
    expect(fp!.findings.join(" ")).toContain("no suppression matches");
    expect(context!.findings.join(" ")).toContain("WS-042 → c2.example");
    expect(decision!.findings.join(" ")).toMatch(/support \d+ = base 5/);
  });
});

describe("step 1: severity", () => {
  it("weighs fresh intel and ignores stale intel (> 180 days)", () => {
    const fresh = triage(dnsLookup({}, malicious(45, 30)));
    const stale = triage(dnsLookup({}, malicious(45, 200)));
    expect(fresh.severity).toBe("high");
    expect(stale.severity).toBe("medium");
    expect(stale.reasoning_trace[1]!.findings.join(" ")).toMatch(/200 days old.*\(strength stale\)/);
    expect(fresh.confidence).toBeGreaterThan(stale.confidence);
    expect(fresh.verdict).toBe("ESCALATED");
    expect(stale.verdict).not.toBe("ESCALATED");
  });

  it("treats fewer than 3 sources as weak and 10 or more as strong", () => {
    expect(triage(dnsLookup({}, malicious(9))).severity).toBe("medium");
    expect(triage(dnsLookup({}, malicious(10))).severity).toBe("high");
    const weak = triage(dnsLookup({}, malicious(2)));
    expect(weak.reasoning_trace[1]!.findings.join(" ")).toContain("strength weak");
  });

  it("lowers urgency on NXDOMAIN and reads NOERROR as an active lookup", () => {
    const resolved = triage(dnsLookup({ rcode: "NOERROR" }, malicious()));
    const failed = triage(dnsLookup({ rcode: "NXDOMAIN" }, malicious()));
    expect(severityRank(failed.severity)).toBe(severityRank(resolved.severity) - 1);
    expect(failed.reasoning_trace[0]!.findings.join(" ")).toContain("nxdomain");
    expect(failed.escalation_package!.hypothesis).toContain("NXDOMAIN");
    expect(resolved.escalation_package!.hypothesis).toContain("NOERROR");
    expect(resolved.escalation_package!.case_summary.what_was_ruled_out).toContain("the domain resolved (NOERROR)");
  });

  it("does not lower a tunnelling-shaped query on NXDOMAIN", () => {
    const out = triage(dnsLookup({ domain: TUNNEL_DOMAIN, qtype: "A", subtype: "dns_tunneling", rcode: "NXDOMAIN" }));
    expect(out.reasoning_trace[0]!.findings.join(" ")).not.toContain("nxdomain");
    expect(out.reasoning_trace[0]!.findings.join(" ")).toContain("tunnelling-shaped subdomain");
  });

  it("reads the tunnelled labels from the query name when dst.domain holds only the registered domain", () => {
    const item = dnsLookup({ domain: "tunnel.example", qtype: "TXT", subtype: "dns_tunneling" }, { network: { dst_hostname: TUNNEL_DOMAIN } });
    item.alert.dst = { ...item.alert.dst, hostname: TUNNEL_DOMAIN };
    const out = triage(item);
    const findings = out.reasoning_trace[0]!.findings.join(" ");
    expect(findings).toContain("tunnelling-shaped subdomain");
    expect(out.escalation_package!.hypothesis).not.toMatch(/longest label 0\b/);
  });

  it("raises for DoH and for DNS on an odd port", () => {
    expect(triage(dnsLookup({ domain: "plain.example", protocol: "doh", port: 443, severity: "low" })).severity).toBe("medium");
    expect(triage(dnsLookup({ domain: "plain.example", port: 5353, severity: "low" })).severity).toBe("medium");
    expect(triage(dnsLookup({ domain: "plain.example", severity: "low" })).severity).toBe("low");
  });

  it("caps the raise at critical and counts one asset once", () => {
    const out = triage(
      dnsLookup(
        { severity: "high" },
        { ...malicious(), asset: { criticality: "critical", crown_jewel_adjacent: true, environment: "production" }, identity: { ...DEFAULT_IDENTITY, privilege_level: "admin" } },
      ),
    );
    expect(out.severity).toBe("critical");
    const low = triage(dnsLookup({ severity: "low", domain: "plain.example" }, { asset: { criticality: "critical", crown_jewel_adjacent: true } }));
    expect(low.severity).toBe("high"); // low + 2 (asset group cap), not + 3
  });
});

describe("step 2: false-positive check", () => {
  it("counts a suppression 90 days old and refuses one 91 days old", () => {
    const at90 = triage(signedVendorProcess({ history: { ...suppressionMatch("SUP-7", 90, { reason: "OneDrive self-update", author: "alice" }) } }));
    const at91 = triage(signedVendorProcess({ history: { ...suppressionMatch("SUP-7", 91, { reason: "OneDrive self-update", author: "alice" }) } }));
    expect(at90.verdict).toBe("CLOSED");
    expect(at90.false_positive_assessment).toMatchObject({ likely_false_positive: true, disposition: "benign_true_positive", suppression_rule_id: "SUP-7" });
    expect(at91.verdict).not.toBe("CLOSED");
    expect(at91.false_positive_assessment.suppression_rule_id).toBeNull();
    expect(at91.reasoning_trace[1]!.findings.join(" ")).toContain("91 days old (> 90)");
    expect(at91.nova_feed.suppression_candidate).toBe(true);
  });

  it("refuses a suppression that expired or disappeared since enrichment", () => {
    const item = signedVendorProcess();
    const base = { id: "SUP-7", author: "alice", reason: "OneDrive self-update", scope: { process_name: "OneDriveSetup.exe" }, created_at: "2026-10-25T00:00:00.000Z" };
    const valid = triageDeterministic({ ...toraInput(CASE, item), suppressions: [base] });
    const expired = triageDeterministic({ ...toraInput(CASE, item), suppressions: [{ ...base, expires_at: "2026-11-20T00:00:00.000Z" }] });
    const gone = triageDeterministic({ ...toraInput(CASE, item), suppressions: [] });
    expect(valid.verdict).toBe("CLOSED");
    expect(expired.verdict).not.toBe("CLOSED");
    expect(expired.reasoning_trace[1]!.findings.join(" ")).toContain("expired at 2026-11-20");
    expect(gone.verdict).not.toBe("CLOSED");
  });

  it("never closes on 'seen before' alone", () => {
    const out = triage(
      signedVendorProcess({
        history: { suppression_match: null, suppression_age_days: null, last_disposition: "false_positive", same_rule_count: 40 },
      }),
    );
    expect(out.verdict).not.toBe("CLOSED");
    expect(out.false_positive_assessment.likely_false_positive).toBe(false);
    expect(out.reasoning_trace[1]!.findings.join(" ")).toContain("not relied on");
  });

  it("calls benign intel a false positive and a suppression a benign true positive", () => {
    const intelOnly = triage(benignUpdateLookup({ history: { suppression_match: null, suppression_age_days: null } }));
    expect(intelOnly.false_positive_assessment.disposition).toBe("false_positive");
    expect(intelOnly.verdict).toBe("CLOSED");
    expect(intelOnly.nova_feed.suppression_candidate).toBe(true);
    const suppressed = triage(benignUpdateLookup());
    expect(suppressed.false_positive_assessment.disposition).toBe("benign_true_positive");
    expect(suppressed.false_positive_assessment.suppression_rule_id).toBe("SUP-12");
  });

  it("does not let a suppression outweigh strong malicious intel", () => {
    const out = triage(
      dnsLookup({}, { ...malicious(), history: { ...suppressionMatch("SUP-1", 5, { reason: "lab", author: "x" }) } }),
    );
    expect(out.verdict).toBe("ESCALATED");
    expect(out.false_positive_assessment.likely_false_positive).toBe(false);
  });
});

describe("step 3: context sufficiency", () => {
  it("holds an unregistered host with a weak signal for enrichment", () => {
    const item = dnsLookup(
      { domain: "odd.example", severity: "low" },
      {
        asset: null,
        identity: null,
        threat_intel: { verdict: "suspicious", matches: [intelMatch("odd.example", 2, { malware: null })] },
        meta: { context_completeness: "insufficient", missing_fields: ["asset.hostname", "asset.criticality", "asset.environment", "identity"] },
      },
    );
    const out = triage(item);
    expect(out.verdict).toBe("INSUFFICIENT_CONTEXT");
    expect(out.priority).toBe("P3");
    expect(out.confidence).toBeLessThan(60);
    expect(out.confidence_label).toBe("low");
    const pkg = out.insufficient_context_package!;
    expect(pkg.blocking_fields).toEqual(["asset.hostname", "asset.criticality", "asset.environment", "identity"]);
    expect(pkg.enrichment_needed.join(" ")).toContain("Register WS-042 in the CMDB");
    expect(pkg.retry_possible).toBe(true);
    expect(pkg.blocking_reason).toContain("Only 1 of 3");
    expect(pkg.partial_assessment).toContain("odd.example");
    expect(out.escalation_package).toBeNull();
  });

  it("does not let strong intel rescue thin context (confidence capped below 60)", () => {
    const item = dnsLookup({ severity: "low" }, { ...malicious(), asset: null, identity: null });
    const out = triage({ ...item, alert: { ...item.alert, confidence: 100 } });
    expect(out.forced_escalation.triggered).toBe(false);
    expect(out.verdict).toBe("INSUFFICIENT_CONTEXT");
    expect(out.confidence).toBeLessThanOrEqual(59);
    expect(out.reasoning_trace[3]!.findings.join(" ")).toContain("capped at 59");
  });

  it("escalates a forced case on thin context and lists what is missing", () => {
    const missing = ["asset.hostname", "asset.criticality", "identity"];
    const out = triage(dnsLookup({ severity: "high" }, { asset: null, identity: null, meta: { context_completeness: "insufficient", missing_fields: missing } }));
    expect(out.verdict).toBe("ESCALATED");
    expect(out.confidence).toBeLessThan(60);
    expect(out.escalation_package!.preserved_context.missing_fields).toEqual(missing);
    expect(out.escalation_package!.suggested_focus.at(-1)).toContain("asset.criticality");
  });

  it("triages an alert that was never enriched as missing everything", () => {
    const alert = makeAlert({ severity: "medium", subtype: "dns_malicious_lookup", dst: { domain: "c2.example" }, network: { protocol: "dns", query_type: "A", response_code: "NOERROR" } });
    const enrichment = unenrichedEnrichment(alert, "2026-11-24T12:00:00.000Z");
    expect(Enrichment.safeParse(enrichment).success).toBe(true);
    const out = triage({ alert, enrichment });
    expect(out.verdict).toBe("INSUFFICIENT_CONTEXT");
    expect(out.nova_feed.context_completeness).toBe("insufficient");
    expect(out.insufficient_context_package!.blocking_fields).toEqual(expect.arrayContaining(["asset", "identity"]));
    expect(out.insufficient_context_package!.retry_possible).toBe(true);
  });
});

describe("escalation package", () => {
  function leaves(value: unknown, path: string[] = []): [string, unknown][] {
    if (value && typeof value === "object" && !Array.isArray(value))
      return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
    if (Array.isArray(value) && value.length > 0) return value.flatMap((v, i) => leaves(v, [...path, String(i)]));
    return [[path.join("."), value]];
  }
  const at = (root: unknown, path: string) => path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], root);

  it("carries every enrichment field to VERA, email context included", () => {
    const email = {
      subject: "Your mailbox is full",
      sender: "it@rnicrosoft.example",
      recipients: ["jdoe@corp.example"],
      recipient_count: 1,
      gateway_verdict: "phish",
      gateway_action: "delivered",
      links: ["https://login.rnicrosoft.example/owa"],
      page_loaded: true,
      credentials_submitted: true,
      spf: "fail",
      dkim: "none",
      dmarc: "fail",
    };
    const item = phishing("phishing_email_credential_harvest", email, {
      network: { src_ip: "198.51.100.23", src_hostname: "mx.rnicrosoft.example", dst_ip: "10.0.0.25", dst_hostname: "mail.corp.example", dst_domain: "corp.example", dst_port: 25, protocol: "smtp", query_type: "MX", response_code: "NOERROR" },
      asset: { hostname: "MAIL-01", ips: ["10.0.0.25"], criticality: "medium", environment: "corporate" },
      threat_intel: { verdict: "malicious", matches: [intelMatch("login.rnicrosoft.example", 12, { type: "domain", category: "phishing", malware: null })] },
      history: {
        same_indicator_count: 1,
        same_indicator_assets: ["MAIL-01"],
        same_src_count: 2,
        same_rule_count: 3,
        ...suppressionMatch("SUP-9", 200, { reason: "old", author: "eve" }),
        last_disposition: "true_positive",
        related_alerts: [{ alert_id: "r1", time: "2026-11-24T08:00:00.000Z", title: "t", subtype: "phishing_email_malicious_link", rule_id: "r", host: "MAIL-01", shared: ["domain:rnicrosoft.example"] }],
        window_hours: 48,
      },
      meta: { context_completeness: "partial", missing_fields: ["asset.owner", "identity.mfa_enabled"] },
    });
    const out = triage(item);
    expect(out.verdict).toBe("ESCALATED");
    const preserved = out.escalation_package!.preserved_context;
    const enrichment = item.enrichment;
    const sections = { network: enrichment.network, asset: enrichment.asset, identity: enrichment.identity, threat_intel: enrichment.threat_intel, history: enrichment.history, email_context: enrichment.email_context };
    let checked = 0;
    for (const [section, value] of Object.entries(sections)) {
      expect(value).not.toBeNull();
      for (const [path, leaf] of leaves(value)) {
        expect(at(preserved, `${section}.${path}`), `${section}.${path}`).toEqual(leaf);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(preserved.missing_fields).toEqual(enrichment.meta.missing_fields);
    const indicators = out.escalation_package!.indicators;
    expect(indicators.emails).toEqual(expect.arrayContaining(["it@rnicrosoft.example", "jdoe@corp.example"]));
    expect(indicators.urls).toContain("https://login.rnicrosoft.example/owa");
    expect(indicators.domains).toEqual(expect.arrayContaining(["login.rnicrosoft.example", "corp.example"]));
    expect(indicators.ips).toEqual(expect.arrayContaining(["198.51.100.23", "10.0.0.25"]));
    expect(indicators.usernames).toContain("jdoe");
    expect(indicators.hostnames).toEqual(expect.arrayContaining(["MAIL-01", "mx.rnicrosoft.example"]));
  });

  it("keeps each alert's differing context in a multi-alert case", () => {
    const first = dnsLookup({}, malicious());
    const second = dnsLookup({ domain: "c2.example" }, { ...malicious(), asset: { hostname: "WS-077", ips: ["10.1.2.77"] }, network: { src_ip: "10.1.2.77", src_hostname: "WS-077" } });
    const out = triage(first, second);
    const preserved = out.escalation_package!.preserved_context;
    const others = (preserved.asset as { other_alerts?: { alert_id: string; hostname: string }[] }).other_alerts;
    expect(others?.map((o) => o.hostname)).toContain("WS-077");
    expect(out.forced_escalation.rules.map((r) => r.id)).toContain("indicator_on_multiple_assets");
    expect(out.escalation_package!.indicators.hostnames).toEqual(expect.arrayContaining(["WS-042", "WS-077"]));
    expect(out.escalation_package!.indicators.hashes).toEqual([]);
  });

  it("recognises a brute force and a success as two alerts of one case from the same source", () => {
    const brute = sshAlert("ssh_bruteforce", { severity: "low" });
    const success = sshAlert("ssh_login_success", { severity: "low" });
    const other = sshAlert("ssh_login_success", { severity: "low", src: "198.51.100.50" });
    expect(triage(brute, success).forced_escalation.rules.map((r) => r.id)).toContain("bruteforce_then_success");
    expect(triage(brute, success).priority).toBe("P1");
    expect(triage(brute, other).forced_escalation.rules.map((r) => r.id)).not.toContain("bruteforce_then_success");
  });
});

describe("input validation", () => {
  it("rejects a malformed input with field-level issues", () => {
    const bad = { caseId: CASE, alerts: [], now: "yesterday" };
    expect(() => triageDeterministic(bad as never)).toThrow(ValidationError);
    try {
      triageDeterministic(bad as never);
    } catch (error) {
      expect((error as ValidationError).issues.map((i) => i.path)).toEqual(expect.arrayContaining(["input.alerts", "input.now"]));
    }
  });
});

describe("closing bases", () => {
  const steps = (out: ToraOutput, step: number) => out.reasoning_trace[step - 1]!.findings.join(" ");
  const phishIntel: EnrichmentPatch = {
    threat_intel: { verdict: "malicious", matches: [intelMatch("payroll-portal.example", 15, { category: "phishing", malware: null })] },
  };
  const quarantined = (email: Partial<NonNullable<Alert["email"]>> = {}, patch: EnrichmentPatch = phishIntel) =>
    phishing(
      "phishing_email_malicious_link",
      {
        subject: "Updated payslip",
        sender: "payroll@payroll-portal.example",
        recipients: ["jdoe@corp.example"],
        recipient_count: 1,
        gateway_verdict: "phish",
        gateway_action: "quarantined",
        links: ["https://payroll-portal.example/view"],
        page_loaded: false,
        credentials_submitted: false,
        spf: "fail",
        dmarc: "fail",
        ...email,
      },
      patch,
    );
  const endpointAlert = { alert_id: "edr-1", time: "2026-11-24T09:58:00.000Z", title: "Office spawned PowerShell", subtype: "process_creation", rule_id: "edr-7", host: "WS-042", shared: ["user:jdoe"] };

  describe("a true positive contained by a control", () => {
    it("closes a quarantined phish with no click as a true positive, without letting intel raise severity", () => {
      const out = triage(quarantined());
      expect(out.verdict).toBe("CLOSED");
      expect(out.severity).toBe("medium");
      expect(out.forced_escalation.triggered).toBe(false);
      expect(out.confidence).toBeGreaterThanOrEqual(80);
      expect(out.false_positive_assessment).toMatchObject({ disposition: "true_positive", likely_false_positive: false, suppression_rule_id: null });
      expect(out.rationale).toContain("contained by a control");
      expect(out.rationale).toContain("quarantined by the gateway");
      expect(steps(out, 1)).toMatch(/±0 contained_by_control \[intel\]: payroll-portal\.example malicious on 15\/60/);
      expect(steps(out, 4)).toMatch(/intel_strong, gateway_flagged, email_auth_failure — is accounted for by contained_by_control/);
      expect(out.nova_feed).toMatchObject({ disposition_class: "true_positive", suppression_candidate: false });
    });

    it("is the same e-mail with the message delivered: not closed, and intel raises", () => {
      const out = triage(quarantined({ gateway_action: "delivered" }));
      expect(out.verdict).not.toBe("CLOSED");
      expect(out.severity).toBe("high");
    });

    it("does not count an action that let the message through as containment", () => {
      for (const action of ["released from quarantine", "not blocked", "unblocked"]) expect(triage(quarantined({ gateway_action: action })).verdict, action).not.toBe("CLOSED");
      expect(triage(quarantined({ gateway_action: "Blocked" })).verdict).toBe("CLOSED");
      expect(triage(quarantined({ gateway_action: "deleted" })).verdict).toBe("CLOSED");
    });

    it("never closes once the page loaded or credentials were submitted", () => {
      const loaded = triage(quarantined({ page_loaded: true }));
      expect(loaded.verdict).not.toBe("CLOSED");
      expect(steps(loaded, 2)).toContain("not treated as contained: the linked page was loaded");
      const submitted = triage(quarantined({ page_loaded: true, credentials_submitted: true }));
      expect(submitted.verdict).toBe("ESCALATED");
      expect(submitted.forced_escalation.rules.map((r) => r.id)).toContain("credentials_submitted");
    });

    it("does not close when an endpoint alert follows, in history or in the case", () => {
      const inHistory = triage(quarantined({}, { ...phishIntel, history: { related_alerts: [endpointAlert] } }));
      expect(inHistory.verdict).not.toBe("CLOSED");
      expect(steps(inHistory, 2)).toContain("related alert edr-1 (process_creation on WS-042)");
      const inCase = triage(quarantined(), powershell());
      expect(inCase.verdict).not.toBe("CLOSED");
      // An earlier quarantined message to the same person is not endpoint activity.
      const emailOnly = { ...endpointAlert, alert_id: "mail-0", subtype: "phishing_email_malicious_link", host: null, shared: ["user:jdoe"] };
      expect(triage(quarantined({}, { ...phishIntel, history: { related_alerts: [emailOnly] } })).verdict).toBe("CLOSED");
    });

    it("does not close a contained phish sent to several recipients (more than one asset)", () => {
      const out = triage(quarantined({ recipients: ["jdoe@corp.example", "bob@corp.example"], recipient_count: 2 }));
      expect(out.verdict).not.toBe("CLOSED");
    });
  });

  describe("a suppression-backed closure", () => {
    const systemProcess = (patch: EnrichmentPatch = {}) =>
      signedVendorProcess(
        {
          identity: null,
          ...patch,
          meta: { context_completeness: "complete", missing_fields: [], builtin_principal: "NT AUTHORITY\\SYSTEM", ...patch.meta },
        },
        { user: { name: "SYSTEM", domain: "NT AUTHORITY" } },
      );

    it("closes on a valid suppression with one axis of signal and says why the two-axis rule yields", () => {
      const out = triage(systemProcess());
      expect(out.verdict).toBe("CLOSED");
      expect(out.confidence).toBeGreaterThanOrEqual(80);
      expect(out.false_positive_assessment).toMatchObject({ disposition: "benign_true_positive", likely_false_positive: true, suppression_rule_id: "SUP-7" });
      expect(out.reasoning_trace[2]!.outcome).toContain("sufficient for a suppression-backed closure only (1/3 axes");
      expect(steps(out, 3)).toContain("built-in principal (NT AUTHORITY\\SYSTEM)");
      expect(steps(out, 3)).toContain("human SOC context (crew.md memory layer 3)");
      expect(steps(out, 4)).toContain("suppression-backed support");
    });

    it("closes a suppressed alert with complete context on two axes (78 before the suppression credit)", () => {
      const scan = signedVendorProcess(
        { identity: null, network: { dst_ip: "10.30.26.4", dst_port: 8080 }, meta: { context_completeness: "complete", missing_fields: [] } },
        { user: null, process: null, subtype: "network_scan", dst: { ip: "10.30.26.4", port: 8080 } },
      );
      const out = triage(scan);
      expect(out.verdict).toBe("CLOSED");
      expect(out.confidence).toBeGreaterThanOrEqual(80);
    });

    it("needs at least one axis with signal", () => {
      const out = triage(systemProcess({ asset: null, meta: { context_completeness: "insufficient", missing_fields: ["asset"] } }));
      expect(out.verdict).toBe("INSUFFICIENT_CONTEXT");
      expect(out.confidence).toBeLessThanOrEqual(59);
    });

    it("does not close once any malicious evidence stands beside the suppression", () => {
      const unsigned = systemProcess();
      unsigned.alert = { ...unsigned.alert, process: { ...unsigned.alert.process!, signed: false } };
      expect(triage(unsigned).verdict).not.toBe("CLOSED");
      const weakIntel = systemProcess({ threat_intel: { verdict: "malicious", matches: [intelMatch("c2.example", 2, { type: "file_hash" })] } });
      const out = triage(weakIntel);
      expect(out.verdict).not.toBe("CLOSED");
      expect(steps(out, 2)).toContain("does not answer current hostile intel");
    });

    it("does not let a suppression close even a well-covered alert that intel calls hostile", () => {
      const out = triage(benignUpdateLookup({ threat_intel: { verdict: "suspicious", matches: [intelMatch("updates.vendor.example", 4, { verdict: "suspicious" })] } }));
      expect(out.verdict).not.toBe("CLOSED");
      expect(out.false_positive_assessment.suppression_rule_id).toBeNull();
    });

    it("escalates when a forced rule fires, suppression or not", () => {
      const out = triage(systemProcess({ asset: { criticality: "high" } }));
      expect(out.verdict).toBe("ESCALATED");
      expect(out.forced_escalation.rules.map((r) => r.id)).toContain("asset_criticality_high");
    });

    it("never closes on a suppression that is stale or was not in force", () => {
      expect(triage(systemProcess({ history: suppressionMatch("SUP-7", 120) })).verdict).not.toBe("CLOSED");
      const expired = triage(systemProcess({ history: suppressionMatch("SUP-7", 30, { expiresAt: "2026-11-01T00:00:00.000Z" }) }));
      expect(expired.verdict).not.toBe("CLOSED");
      expect(steps(expired, 2)).toContain("expired at 2026-11-01T00:00:00.000Z, before the alert");
      const lapsed = triage(systemProcess({ history: suppressionMatch("SUP-7", 30, { expiresAt: "2026-11-24T11:00:00.000Z" }) }));
      expect(lapsed.verdict).not.toBe("CLOSED");
      expect(steps(lapsed, 2)).toContain("expired at 2026-11-24T11:00:00.000Z");
    });

    it("does not ask the directory for a built-in principal", () => {
      const out = triage(systemProcess({ history: suppressionMatch("SUP-7", 120) }));
      expect(out.verdict).toBe("INSUFFICIENT_CONTEXT");
      expect(out.insufficient_context_package!.enrichment_needed.join(" ")).not.toContain("identity directory");
    });
  });

  describe("a dead indicator", () => {
    const stale = (count = 18): EnrichmentPatch => ({ threat_intel: { verdict: "malicious", matches: [intelMatch("legacy-mirror.example", count, { age: 400, malware: "SmokeLoader" })] } });
    const weak: EnrichmentPatch = { threat_intel: { verdict: "suspicious", matches: [intelMatch("legacy-mirror.example", 2, { verdict: "suspicious", malware: null })] } };
    const lookup = (options: Parameters<typeof dnsLookup>[0] = {}, patch: EnrichmentPatch = stale()) =>
      dnsLookup({ domain: "legacy-mirror.example", rcode: "NXDOMAIN", severity: "low", ...options }, { asset: { criticality: "low", environment: "development" }, ...patch });

    it("closes an NXDOMAIN lookup of a stale or weak indicator as a false positive of the detection", () => {
      for (const patch of [stale(), weak]) {
        const out = triage(lookup({}, patch));
        expect(out.verdict).toBe("CLOSED");
        expect(out.confidence).toBeGreaterThanOrEqual(80);
        expect(out.false_positive_assessment).toMatchObject({ disposition: "false_positive", likely_false_positive: true });
        expect(steps(out, 2)).toContain("Dead indicator: legacy-mirror.example did not resolve (NXDOMAIN)");
        expect(out.nova_feed.suppression_candidate).toBe(false);
      }
    });

    it("does not close when the lookup resolved", () => {
      expect(triage(lookup({ rcode: "NOERROR" })).verdict).not.toBe("CLOSED");
    });

    it("does not close on fresh strong intel, even on NXDOMAIN", () => {
      const out = triage(lookup({}, malicious(18, 20)));
      expect(out.verdict).not.toBe("CLOSED");
      expect(steps(out, 2)).toContain("not a dead indicator: the intel is strong");
    });

    it("does not close a repeated indicator or one with related alerts", () => {
      expect(triage(lookup({}, { ...stale(), history: { same_indicator_count: 1, same_indicator_assets: ["WS-042"] } })).verdict).not.toBe("CLOSED");
      const related = { alert_id: "r-1", time: "2026-11-24T09:00:00.000Z", title: "t", subtype: "dns_malicious_lookup", rule_id: "dns-ti-001", host: "WS-042", shared: ["host:WS-042"] };
      expect(triage(lookup({}, { ...stale(), history: { related_alerts: [related] } })).verdict).not.toBe("CLOSED");
    });

    it("does not close a tunnelling-shaped or oddly carried query", () => {
      expect(triage(lookup({ domain: `${"a1b2c3d4e5f6g7h8".repeat(3)}.legacy-mirror.example` })).verdict).not.toBe("CLOSED");
      expect(triage(lookup({ qtype: "TXT" })).verdict).not.toBe("CLOSED");
      expect(triage(lookup({ protocol: "doh", port: 443 })).verdict).not.toBe("CLOSED");
    });

    it("does not close on an unknown, high or critical asset", () => {
      expect(triage(lookup({}, { ...stale(), asset: null })).verdict).not.toBe("CLOSED");
      const high = triage(lookup({}, { ...stale(), asset: { criticality: "high" } }));
      expect(high.verdict).toBe("ESCALATED");
    });
  });
});
