import { insertAlertRow } from "../../ingest/testing.js";
import { type Alert, type Clock } from "../../core/index.js";
import { attachAlert } from "../../cases/index.js";
import { normaliseEvent } from "../../detect/engine.js";
import { insertEvents, toNewEvent } from "../../events/index.js";
import type { Executor } from "../../store/index.js";
import { ALERT_TIME, intelMatch, makeAlert, makeEnrichment, type EnrichmentPatch, type Item } from "../testing/fixtures.js";
import { triageCase } from "../tora/handler.js";

/** Builders for VERA's tests: realistic cases escalated by TORA and the raw events VERA investigates. */
export const SYSMON = "Microsoft-Windows-Sysmon/Operational";
const RECEIVED = "2026-11-24T11:00:00.000Z";

/** Minutes after the fixtures' alert time (10:02Z), as ISO. */
export function after(minutes: number, seconds = 0): string {
  return new Date(Date.parse(ALERT_TIME) + minutes * 60_000 + seconds * 1000).toISOString();
}

let record = 0;

/** Stores raw events the way ingest does: normalised (src/detect), then indexed (src/events). */
export async function storeEvents(ex: Executor, documents: Record<string, unknown>[]): Promise<void> {
  const events = documents.map((d) => toNewEvent(normaliseEvent(d), { file: "vera-test.json", record: ++record }, RECEIVED));
  await insertEvents(ex, events);
}

export function sysmon(eventId: number, time: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { Channel: SYSMON, Provider_Name: "Microsoft-Windows-Sysmon", EventID: eventId, "@timestamp": time, Computer: "WS-042", ...fields };
}

export function security(eventId: number, time: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { Channel: "Security", Provider_Name: "Microsoft-Windows-Security-Auditing", EventID: eventId, "@timestamp": time, ...fields };
}

export function sshd(time: string, host: string, message: string): Record<string, unknown> {
  return { "@timestamp": time, host: { name: host }, program: "sshd", facility: "auth", message };
}

/** Connections from WS-042's process to a destination every `interval` seconds (±jitter seconds). */
export function connections(count: number, options: { ip: string; port: number; image: string; start?: number; interval?: number; jitter?: number; host?: string }): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const interval = options.interval ?? 60;
  let offset = (options.start ?? 1) * 60;
  for (let i = 0; i < count; i++) {
    const wobble = options.jitter ? ((i * 7) % 3) - 1 : 0;
    offset += i === 0 ? 0 : interval + wobble * (options.jitter ?? 0);
    out.push(
      sysmon(3, new Date(Date.parse(ALERT_TIME) + offset * 1000).toISOString(), {
        Computer: options.host ?? "WS-042",
        Image: options.image,
        ProcessGuid: "{11111111-2222-3333-4444-555555555555}",
        ProcessId: 4242,
        User: "CORP\\jdoe",
        Protocol: "tcp",
        SourceIp: "10.1.2.42",
        SourcePort: 50000 + i,
        DestinationIp: options.ip,
        DestinationPort: options.port,
      }),
    );
  }
  return out;
}

/** Stores the alert, groups it into a case and lets TORA triage it; returns the case id. */
export async function triagedCase(ex: Executor, clock: Clock, ...items: Item[]): Promise<string> {
  let caseId = "";
  for (const item of items) {
    await insertAlertRow(ex, item.alert, { enrichment: item.enrichment, stage: "enriched", dedupeKey: `${item.alert.source}:${item.alert.id}` });
    caseId = (await attachAlert(ex, item.alert, { windowMinutes: 120 }, clock)).caseId;
  }
  await triageCase(ex, caseId, clock);
  return caseId;
}

export function phishingCredentials(patch: EnrichmentPatch = {}): Item {
  const email: NonNullable<Alert["email"]> = {
    subject: "Your mailbox is full — verify now",
    sender: "it-support@corp-helpdesk.example",
    recipients: ["jdoe@corp.example"],
    recipient_count: 1,
    gateway_verdict: "suspicious",
    gateway_action: "delivered",
    links: ["https://login.corp-helpdesk.example/owa"],
    page_loaded: true,
    credentials_submitted: true,
    spf: "fail",
    dkim: "none",
    dmarc: "fail",
  };
  const alert = makeAlert({
    title: `Phishing: ${email.subject}`,
    severity: "medium",
    subtype: "phishing_email_credential_harvest",
    source: "o365",
    rule: { id: "o365-phish-cred", title: "Credential harvesting page submission" },
    host: { name: "WS-042", ip: ["10.1.2.42"] },
    user: { name: "jdoe" },
    email,
    observables: [
      { type: "email", value: email.sender!, role: "src" },
      { type: "url", value: email.links![0]!, role: "dst" },
      { type: "domain", value: "login.corp-helpdesk.example", role: "dst" },
    ],
  });
  return {
    alert,
    enrichment: makeEnrichment(alert, {
      network: { dst_domain: "login.corp-helpdesk.example" },
      threat_intel: { verdict: "malicious", matches: [intelMatch("corp-helpdesk.example", 14, { category: "phishing", malware: null, matched: "login.corp-helpdesk.example", age: 3 })] },
      email_context: { ...email },
      ...patch,
    }),
  };
}

export function sshBruteForce(patch: EnrichmentPatch = {}): Item {
  const alert = makeAlert({
    title: "sshd: multiple authentication failures",
    severity: "medium",
    subtype: "ssh_bruteforce",
    source: "wazuh",
    rule: { id: "wazuh-5712", title: "SSH brute force" },
    host: { name: "SRV-APP-01", ip: ["10.0.5.10"] },
    user: { name: "deploy" },
    src: { ip: "203.0.113.50" },
    dst: { ip: "10.0.5.10", port: 22 },
    network: { protocol: "ssh" },
    observables: [{ type: "ip", value: "203.0.113.50", role: "src" }],
  });
  return {
    alert,
    enrichment: makeEnrichment(alert, {
      network: { src_ip: "203.0.113.50", src_hostname: null, dst_ip: "10.0.5.10", dst_port: 22, protocol: "ssh" },
      asset: { hostname: "SRV-APP-01", ips: ["10.0.5.10"], criticality: "medium", environment: "staging", telemetry: ["auth_logs", "netflow"], edr_present: false },
      identity: { username: "deploy", department: "engineering" },
      ...patch,
    }),
  };
}

/** sshd lines on SRV-APP-01: `failures` failed passwords from 203.0.113.50, then (optionally) an accepted one. */
export function sshdAttempts(failures: number, success: boolean): Record<string, unknown>[] {
  const out = Array.from({ length: failures }, (_, i) => sshd(after(-10, i * 5), "SRV-APP-01", `Failed password for deploy from 203.0.113.50 port ${40000 + i} ssh2`));
  if (success) out.push(sshd(after(1), "SRV-APP-01", "Accepted password for deploy from 203.0.113.50 port 41000 ssh2"));
  return out;
}

export function wordMacro(patch: EnrichmentPatch = {}, commandLine = "powershell -nop -w hidden -enc SQBFAFgA"): Item {
  const alert = makeAlert({
    title: "Encoded PowerShell from Word",
    severity: "medium",
    subtype: "suspicious_powershell",
    source: "sysmon",
    rule: { id: "ps-enc-001", title: "Encoded PowerShell command line" },
    attack: { tactics: ["execution"], techniques: ["T1059.001", "T1027"] },
    process: { name: "powershell.exe", command_line: commandLine, parent_name: "WINWORD.EXE", pid: 4242, sha256: "b".repeat(64) },
  });
  return { alert, enrichment: makeEnrichment(alert, patch) };
}

/** explorer → WINWORD → powershell (pid 4242) on WS-042, the Word macro's process chain. */
export function macroTree(commandLine = "powershell -nop -w hidden -enc SQBFAFgA"): Record<string, unknown>[] {
  return [
    sysmon(1, after(-30), { Image: "C:\\Windows\\explorer.exe", ProcessId: 1000, ProcessGuid: "{AAAAAAAA-0000-0000-0000-000000000001}", ParentProcessId: 800, CommandLine: "explorer.exe", User: "CORP\\jdoe" }),
    sysmon(1, after(-2), {
      Image: "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
      ProcessId: 2000,
      ProcessGuid: "{AAAAAAAA-0000-0000-0000-000000000002}",
      ParentProcessId: 1000,
      ParentProcessGuid: "{AAAAAAAA-0000-0000-0000-000000000001}",
      ParentImage: "C:\\Windows\\explorer.exe",
      CommandLine: "WINWORD.EXE /n invoice.docm",
      User: "CORP\\jdoe",
    }),
    sysmon(1, after(0), {
      Image: "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
      ProcessId: 4242,
      ProcessGuid: "{AAAAAAAA-0000-0000-0000-000000000003}",
      ParentProcessId: 2000,
      ParentProcessGuid: "{AAAAAAAA-0000-0000-0000-000000000002}",
      ParentImage: "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
      CommandLine: commandLine,
      User: "CORP\\jdoe",
      Hashes: `SHA256=${"B".repeat(64)}`,
    }),
  ];
}
