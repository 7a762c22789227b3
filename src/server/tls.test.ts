import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TLSSocket } from "node:tls";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../test/support/store.js";
import { fixedClock } from "../core/index.js";
import { startHttpServer, type HttpServer } from "./serve.js";

/** A self-signed certificate for 127.0.0.1 made by the openssl command (node:crypto cannot make X.509 certificates). */
function selfSigned(dir: string, name: string): { cert_file: string; key_file: string; pem: string } {
  const cert_file = path.join(dir, `${name}.crt`);
  const key_file = path.join(dir, `${name}.key`);
  // Fails loudly (ENOENT) when openssl is missing: this test must not be skipped.
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key_file, "-out", cert_file, "-days", "1", "-subj", `/CN=${name}`, "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "pipe" });
  return { cert_file, key_file, pem: readFileSync(cert_file, "utf8") };
}

/** GET over HTTPS trusting exactly `ca`, on a fresh connection: the status and the certificate's subject CN. */
function get(url: string, ca: string): Promise<{ status: number; cn: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/healthz`, { ca, agent: false }, (res) => {
      const cn = String((res.socket as TLSSocket).getPeerCertificate().subject.CN);
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, cn }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe(`TLS in the server (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let dir: string;
  let server: HttpServer | undefined;
  beforeEach(async () => {
    env = await openTestEnvironment();
    dir = mkdtempSync(path.join(tmpdir(), "nightshift-tls-"));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
    await env.cleanup();
  });

  const deps = () => ({ db: env.store.db, config: env.config, clock: fixedClock("2026-11-24T10:00:00Z") });

  it("serves HTTPS with the configured certificate, and reloads it when the files change", async () => {
    const first = selfSigned(dir, "first");
    const files = { cert_file: path.join(dir, "tls.crt"), key_file: path.join(dir, "tls.key") };
    writeFileSync(files.cert_file, first.pem);
    writeFileSync(files.key_file, readFileSync(first.key_file));
    server = await startHttpServer(deps(), { host: "127.0.0.1", port: 0, tls: files });
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await get(server.url, first.pem)).toEqual({ status: 200, cn: "first" });
    // Plain HTTP on the TLS port is refused.
    await expect(fetch(server.url.replace("https:", "http:") + "/healthz")).rejects.toThrow();

    // A certificate manager renews: new files renamed into place.
    const second = selfSigned(dir, "second");
    renameSync(second.key_file, files.key_file);
    renameSync(second.cert_file, files.cert_file);
    const deadline = Date.now() + 15_000;
    let seen = await get(server.url, second.pem).catch(() => null);
    while (seen?.cn !== "second" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      seen = await get(server.url, second.pem).catch(() => null);
    }
    expect(seen).toEqual({ status: 200, cn: "second" });
    // The old certificate is no longer served.
    await expect(get(server.url, first.pem)).rejects.toThrow();
  }, 30_000);

  it("refuses to start with a key that does not match the certificate, naming the files", async () => {
    const a = selfSigned(dir, "a");
    const b = selfSigned(dir, "b");
    await expect(async () => startHttpServer(deps(), { host: "127.0.0.1", port: 0, tls: { cert_file: a.cert_file, key_file: b.key_file } })).rejects.toThrow(
      /cannot load the TLS certificate .*a\.crt and key .*b\.key/,
    );
    await expect(async () => startHttpServer(deps(), { host: "127.0.0.1", port: 0, tls: { cert_file: path.join(dir, "missing.crt"), key_file: a.key_file } })).rejects.toThrow(/missing\.crt/);
  });
});
