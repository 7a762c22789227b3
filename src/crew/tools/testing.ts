import { fixedClock, type AgentName, type Clock } from "../../core/index.js";
import type { Db } from "../../store/index.js";
import { createTokenCounter } from "../runtime/tokens.js";
import { createResultStore } from "./results.js";
import type { ToolCaller, ToolContext } from "./tool.js";
import { attachAlert } from "../../cases/index.js";
import { insertAlert, makeAlert } from "../../cases/test-alerts.js";
import { importDeviceInventory, loadContext } from "../../context/index.js";
import { insertEvents, toNewEvent } from "../../events/index.js";

/** A tool context for tests: a crew run of `agent` on `caseId` (staging writes), or an MCP-like session (`caseId: null`, applying). */
export function testToolContext(
  db: Db,
  options: { agent?: AgentName | null; caseId?: string | null; role?: ToolCaller["role"]; maxTokens?: number; clock?: Clock; shift?: string } = {},
): ToolContext {
  const agent = options.agent === undefined ? "VERA" : options.agent;
  const caseId = options.caseId ?? null;
  return {
    db,
    clock: options.clock ?? fixedClock("2026-11-24T12:00:00.000Z", 1000),
    caller: { agent, name: agent ?? "mcp-token", role: options.role ?? "analyst" },
    caseId,
    shift: options.shift ?? "2026-11-24",
    effects: caseId !== null ? "stage" : "apply",
    staged: [],
    results: createResultStore(),
    budget: { maxTokens: options.maxTokens ?? 4000, counter: createTokenCounter() },
  };
}

export const HASH = "a".repeat(64);
const SYSMON = "Microsoft-Windows-Sysmon/Operational";

export function sysmonStart(minute: number, fields: { pid: number; ppid: number; guid: string; parentGuid: string; image: string; host?: string }) {
  return toNewEvent(
    {
      Channel: SYSMON,
      Provider_Name: "Microsoft-Windows-Sysmon",
      EventID: 1,
      Computer: fields.host ?? "ws-01.corp.local",
      UtcTime: `2026-11-24 09:${String(minute).padStart(2, "0")}:00.000`,
      ProcessId: fields.pid,
      ParentProcessId: fields.ppid,
      ProcessGuid: fields.guid,
      ParentProcessGuid: fields.parentGuid,
      Image: fields.image,
      CommandLine: `${fields.image} --run ${minute}`,
      User: "CORP\\jdoe",
    },
    { file: "sysmon.json", record: minute },
    "2026-11-24T10:00:00.000Z",
  );
}

/** Two cases on different hosts sharing the C2 domain; context, inventory and events for the first. */
export async function seedWorld(db: Db) {
  const clock = fixedClock("2026-11-24T09:30:00.000Z", 1000);
  await loadContext(
    db,
    {
      assets: [{ hostname: "ws-01", ips: ["10.1.2.42"], criticality: "high", environment: "production", owner: "finance" }],
      identities: [{ username: "jdoe", user_type: "human", privilege_level: "standard", mfa_enabled: true, risk_score: 40 }],
      indicators: [
        { type: "domain", value: "evil.example", verdict: "malicious", source_count: 42, source_total: 60, first_seen: "2026-11-01T00:00:00Z", feed: "osint" },
        { type: "ip", value: "203.0.113.9", verdict: "malicious", source_count: 2, source_total: 60, expires_at: "2026-06-01T00:00:00Z", feed: "old" },
      ],
    },
    { clock, source: "test" },
  );
  await db.transaction().execute((trx) =>
    importDeviceInventory(
      trx,
      [
        { hostname: "WS-01", device_id: "dev-1", os: "Windows 11", os_version: "23H2", health: "Active", risk: "High", last_seen: "2026-11-24T08:00:00Z", ips: [{ ip: "10.1.2.42" }] },
        { hostname: "srv-9", device_id: "dev-9", os: "Ubuntu", health: "Inactive", last_seen: "2026-11-20T08:00:00Z", ips: [] },
      ],
      { source: "defender", now: "2026-11-24T09:00:00.000Z" },
    ),
  );
  const first = makeAlert({ host: "ws-01", user: "jdoe", dst_domain: "c2.evil.example", sha256: HASH, src_ip: "10.1.2.42", time: "2026-11-24T09:05:00.000Z", rule: { id: "dns-c2", title: "C2 lookup" } });
  const second = makeAlert({ host: "ws-02", user: "bob", dst_domain: "c2.evil.example", time: "2026-11-24T09:10:00.000Z", rule: { id: "dns-c2", title: "C2 lookup" } });
  const third = makeAlert({ host: "ws-77", user: "carol", dst_domain: "benign.example", time: "2026-11-24T09:11:00.000Z", rule: { id: "other-rule", title: "Other" } });
  const ids: string[] = [];
  for (const alert of [first, second, third]) {
    await insertAlert(db, alert);
    ids.push((await attachAlert(db, alert, { windowMinutes: 60 }, clock)).caseId);
  }
  await insertEvents(db, [
    sysmonStart(1, { pid: 100, ppid: 4, guid: "{00000000-0000-0000-0000-000000000100}", parentGuid: "{00000000-0000-0000-0000-000000000004}", image: "C:\\Windows\\explorer.exe" }),
    sysmonStart(2, { pid: 200, ppid: 100, guid: "{00000000-0000-0000-0000-000000000200}", parentGuid: "{00000000-0000-0000-0000-000000000100}", image: "C:\\Windows\\System32\\cmd.exe" }),
    sysmonStart(3, { pid: 300, ppid: 200, guid: "{00000000-0000-0000-0000-000000000300}", parentGuid: "{00000000-0000-0000-0000-000000000200}", image: "C:\\Users\\jdoe\\evil.exe" }),
    sysmonStart(40, { pid: 400, ppid: 4, guid: "{00000000-0000-0000-0000-000000000400}", parentGuid: "{00000000-0000-0000-0000-000000000004}", image: "C:\\Windows\\notepad.exe", host: "ws-02" }),
  ]);
  return { caseA: ids[0]!, caseB: ids[1]!, caseC: ids[2]!, alerts: { first, second, third } };
}
