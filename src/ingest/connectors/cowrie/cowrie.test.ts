import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../../test/support/store.js";
import { fixedClock } from "../../../core/index.js";
import { listAlerts } from "../../query.js";
import { withMapping } from "../common.js";
import { runConnector } from "../runner.js";
import { loadState } from "../state.js";
import type { Connector } from "../types.js";
import { kind } from "./index.js";
import { closed, command, connect, download, line, loginFailed, loginSuccess, tunnel } from "./testing.js";

const at = (second: number) => `2026-11-24T10:00:${String(second).padStart(2, "0")}.000000Z`;
/** One attack: connect, three failed logins, a success, commands, a download, a tunnel, close. */
function attack(session: string, start: number, password = "P@ssw0rd-leaked"): string {
  const s = { session };
  return [
    connect({ ...s, timestamp: at(start) }),
    loginFailed("123456", { ...s, timestamp: at(start + 1) }),
    loginFailed("admin", { ...s, timestamp: at(start + 2) }),
    loginFailed("root", { ...s, timestamp: at(start + 3) }),
    loginSuccess(password, { ...s, timestamp: at(start + 4) }),
    command("uname -a", { ...s, timestamp: at(start + 5) }),
    command("cat /proc/cpuinfo | grep name | wc -l", { ...s, timestamp: at(start + 6) }),
    download({ ...s, timestamp: at(start + 7) }),
    tunnel({ ...s, timestamp: at(start + 8) }),
    closed({ ...s, timestamp: at(start + 9) }),
  ].map(line).join("");
}

describe(`cowrie connector over a real cowrie.json (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let dir: string;
  let log: string;
  const clock = fixedClock("2026-11-24T10:05:00Z");
  beforeEach(async () => {
    env = await openTestEnvironment();
    dir = mkdtempSync(path.join(tmpdir(), "nightshift-cowrie-"));
    log = path.join(dir, "cowrie.json");
  });
  afterEach(async () => {
    rmSync(dir, { recursive: true, force: true });
    await env.cleanup();
  });

  function connector(over: Record<string, unknown> = {}): Connector {
    const settings = kind.settings.parse({ name: "honeypot", kind: "cowrie", path: log, max_lines: 4, ...over });
    return withMapping(kind.create(settings, { redact: (t) => t }), settings.mapping);
  }
  const run = (c: Connector, extra: Parameters<typeof runConnector>[2] = {}) => runConnector(env.store.db, c, { clock, ...extra });

  it("turns an attack session into alerts, keeping the session's attacker across pages, and the password out of everything but raw", async () => {
    writeFileSync(log, attack("sess0001aaaa", 10));
    const summary = await run(connector());
    expect(summary).toMatchObject({ error: null, created: 8, duplicates: 0, rejected: 0, pages: 3 });
    const alerts = await listAlerts(env.store.db, { limit: 50 });
    const bySubtype = (s: string) => alerts.filter((a) => a.subtype === s);
    expect(bySubtype("ssh_bruteforce")).toHaveLength(3);
    expect(bySubtype("honeypot_login")).toHaveLength(1);
    expect(bySubtype("honeypot_command")).toHaveLength(2);
    expect(bySubtype("malware_download")).toHaveLength(1);
    // The tunnel (line 9, page 3) knows the attacker from the connect event of page 1, through the cursor.
    expect(bySubtype("honeypot_tunnel")[0]).toMatchObject({ src: { ip: "45.148.10.92" }, host: { name: "hp-ssh-01", ip: ["10.99.0.5"] } });
    for (const alert of alerts) expect(JSON.stringify({ ...alert, raw: null })).not.toContain("P@ssw0rd-leaked");
    expect(alerts.map((a) => JSON.stringify(a.raw)).filter((r) => r.includes("P@ssw0rd-leaked"))).toHaveLength(1);
  });

  it("follows Cowrie's daily rotation (cowrie.json → cowrie.json.2026-11-24) with every event once, across a crash", async () => {
    writeFileSync(log, attack("sessA", 0));
    const crashed = await run(connector(), { beforeCommit: (_t, page) => { if (page === 2) throw new Error("honeypot VM rebooted"); } });
    expect(crashed).toMatchObject({ error: "honeypot VM rebooted", created: 3 });
    renameSync(log, `${log}.2026-11-24`);
    writeFileSync(log, attack("sessB", 20));
    const resumed = await run(connector());
    expect(resumed).toMatchObject({ error: null, created: 13, duplicates: 0 });
    appendFileSync(log, attack("sessC", 40));
    expect(await run(connector())).toMatchObject({ created: 8, duplicates: 0 });
    const sessions = (await listAlerts(env.store.db, { limit: 100 })).map((a) => (a.unmapped as { cowrie_session: string }).cowrie_session);
    expect(["sessA", "sessB", "sessC"].map((s) => sessions.filter((x) => x === s).length)).toEqual([8, 8, 8]);
  });

  it("applies the priority table on the eventid and counts junk lines as rejected", async () => {
    writeFileSync(log, line(loginSuccess("x", { timestamp: at(1) })) + "Traceback (most recent call last):\n" + line(loginFailed("y", { timestamp: at(2) })));
    const summary = await run(connector({ mapping: { priority: { "cowrie.login.success": "P1" } } }));
    expect(summary).toMatchObject({ created: 2, error: null });
    const alerts = await listAlerts(env.store.db, { limit: 10 });
    expect(alerts.find((a) => a.subtype === "honeypot_login")?.priority).toBe("P1");
    expect(alerts.find((a) => a.subtype === "ssh_bruteforce")?.priority).toBeUndefined();
    expect(Number((await loadState(env.store.db, "honeypot")).row?.rejected)).toBe(1);
  });
});
