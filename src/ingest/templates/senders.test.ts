import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ValidationError, fixedClock } from "../../core/index.js";
import { compileSenders, mapSenderPayload, signForSender, verifySenderAuth, type SenderAuth } from "./senders.js";

const CLOCK = fixedClock("2026-11-24T10:00:00.000Z");
const NOW_S = String(Date.parse("2026-11-24T10:00:00.000Z") / 1000);

function issuesOf(senders: unknown[], env: Record<string, string> = {}, secretsFile?: string) {
  try {
    compileSenders({ senders }, { env, secretsFile });
    return [];
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
}

describe("compileSenders", () => {
  it("resolves ${NAME} from the environment, then the secrets file, and applies defaults", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ns-hooks-"));
    const file = path.join(dir, "secrets.env");
    writeFileSync(file, "GRAYLOG_PASS=from-the-file-123\n");
    const senders = compileSenders(
      {
        senders: [
          { name: "prom", template: "alertmanager", auth: { type: "hmac", secret: "${PROM_SECRET}" } },
          { name: "graylog", template: "graylog", auth: { type: "basic", username: "graylog", password: "${GRAYLOG_PASS}" }, enabled: false },
        ],
      },
      { env: { PROM_SECRET: "from-the-environment-1" }, secretsFile: file },
    );
    expect(senders.get("prom")?.auth).toEqual({ type: "hmac", secret: "from-the-environment-1", header: "x-nightshift-signature", prefix: "sha256=", encoding: "hex" });
    expect(senders.get("graylog")?.auth).toMatchObject({ password: "from-the-file-123" });
    expect(senders.get("graylog")?.enabled).toBe(false);
  });

  it("names every bad setting with its path", () => {
    const issues = issuesOf([
      { name: "a", template: "nagios", auth: { type: "hmac", secret: "long-enough-secret-1" } },
      { name: "b", template: "generic", auth: { type: "hmac", secret: "short" } },
      { name: "c", template: "generic", auth: { type: "token", value: "${MISSING_TOKEN}" } },
      { name: "d", template: { fields: { title: "a..b" } }, auth: { type: "basic", username: "u", password: "long-enough-pass" } },
      { name: "e", template: "generic", auth: { type: "oauth" } },
      { name: "f", template: "generic", severity: { sev1: "urgent" }, auth: { type: "token", value: "Bearer 0123456789abcdef" } },
      { name: "a", template: "generic", auth: { type: "token", value: "Bearer 0123456789abcdef" } },
    ]);
    const paths = issues.map((i) => i.path);
    expect(paths).toContain("webhooks.senders[0].template");
    expect(issues.find((i) => i.path === "webhooks.senders[0].template")?.message).toMatch(/unknown template "nagios"; built-in: alertmanager/);
    expect(paths).toContain("webhooks.senders[1].auth.secret");
    expect(issues.find((i) => i.path === "webhooks.senders[2].auth.value")?.message).toBe("${MISSING_TOKEN} is not set in the environment or the secrets file");
    expect(paths).toContain("webhooks.senders[3].template.fields.title");
    expect(paths.some((p) => p.startsWith("webhooks.senders[4].auth"))).toBe(true);
    expect(paths).toContain("webhooks.senders[5].severity.sev1");
    expect(issues.find((i) => i.path === "webhooks.senders[6].name")?.message).toMatch(/defined twice/);
  });

  it("lets the sender's severity table and mapping tables override the template", () => {
    const senders = compileSenders(
      {
        senders: [
          {
            name: "prom",
            template: "alertmanager",
            auth: { type: "token", value: "Bearer 0123456789abcdef" },
            severity: { warning: "high", default: "low" },
            mapping: { hosts: { "node-exporter-7": "web-07" }, priority: { warning: "P2" } },
          },
        ],
      },
      { env: {} },
    );
    const payload = {
      alerts: [
        { status: "firing", labels: { alertname: "X", severity: "warning", instance: "node-exporter-7" }, fingerprint: "f", startsAt: "2026-11-24T09:00:00Z" },
        { status: "firing", labels: { alertname: "Y", severity: "weird" }, fingerprint: "g", startsAt: "2026-11-24T09:00:00Z" },
      ],
    };
    const [x, y] = mapSenderPayload(senders.get("prom")!, payload).alerts.map((a) => a.alert);
    expect(x).toMatchObject({ severity: "high", priority: "P2", host: { name: "web-07" } });
    expect(x!.unmapped).toMatchObject({ original_host: "node-exporter-7", vendor_severity: "warning" });
    expect(y!.severity).toBe("low");
  });
});

describe("verifySenderAuth", () => {
  const body = new TextEncoder().encode('{"a":1}');
  const hmac = (extra: Partial<Extract<SenderAuth, { type: "hmac" }>> = {}): Extract<SenderAuth, { type: "hmac" }> => ({
    type: "hmac",
    secret: "a-long-shared-secret",
    header: "x-nightshift-signature",
    prefix: "sha256=",
    encoding: "hex",
    ...extra,
  });
  const check = (auth: SenderAuth, headers: Record<string, string>, raw = body) =>
    verifySenderAuth(auth, { header: (name) => headers[name.toLowerCase()], body: raw }, CLOCK);

  it("HMAC: the right digest passes; a changed body, wrong secret or missing header fails", () => {
    const auth = hmac();
    const signature = signForSender(auth, body);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(check(auth, { "x-nightshift-signature": signature })).toEqual({ ok: true });
    expect(check(auth, { "x-nightshift-signature": signature.toUpperCase().replace("SHA256=", "sha256=") })).toEqual({ ok: true });
    expect(check(auth, { "x-nightshift-signature": signature }, new TextEncoder().encode('{"a":2}')).ok).toBe(false);
    expect(check(auth, { "x-nightshift-signature": signForSender(hmac({ secret: "another-long-secret" }), body) }).ok).toBe(false);
    expect(check(auth, {})).toEqual({ ok: false, reason: "missing x-nightshift-signature header" });
  });

  it("HMAC: custom header, bare base64 digest, and a timestamp within 5 minutes", () => {
    const auth = hmac({ header: "x-hub-signature", prefix: "", encoding: "base64", timestamp_header: "x-timestamp" });
    const signature = signForSender(auth, body, NOW_S);
    expect(signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(check(auth, { "x-hub-signature": signature, "x-timestamp": NOW_S })).toEqual({ ok: true });
    expect(check(auth, { "x-hub-signature": signature }).ok).toBe(false);
    const old = String(Number(NOW_S) - 301);
    expect(check(auth, { "x-hub-signature": signForSender(auth, body, old), "x-timestamp": old })).toMatchObject({ ok: false, reason: expect.stringMatching(/5 minutes/) as string });
    expect(check(auth, { "x-hub-signature": signForSender(auth, body), "x-timestamp": NOW_S }).ok).toBe(false);
  });

  it("token and basic auth", () => {
    const token: SenderAuth = { type: "token", header: "authorization", value: "Bearer 0123456789abcdef" };
    expect(check(token, { authorization: "Bearer 0123456789abcdef" })).toEqual({ ok: true });
    expect(check(token, { authorization: "Bearer 0123456789abcdeX" }).ok).toBe(false);
    expect(check(token, {}).ok).toBe(false);
    const basic: SenderAuth = { type: "basic", username: "graylog", password: "correct-horse-battery" };
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    expect(check(basic, { authorization: `Basic ${b64("graylog:correct-horse-battery")}` })).toEqual({ ok: true });
    expect(check(basic, { authorization: `Basic ${b64("graylog:wrong")}` }).ok).toBe(false);
    expect(check(basic, { authorization: `Basic ${b64("other:correct-horse-battery")}` }).ok).toBe(false);
    expect(check(basic, { authorization: "Bearer x" }).ok).toBe(false);
  });
});
