import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixedClock, ValidationError } from "../../core/index.js";
import { advanceCheckpoint, isSeen, MAX_SEEN } from "./checkpoint.js";
import { ConnectorAuthError, requestWithRetry, retryAfterMs } from "./http.js";
import { buildConnectors } from "./registry.js";
import { makeRedactor, parseSecretsFile } from "./secrets.js";
import { EMPTY_CHECKPOINT } from "./types.js";

const dir = mkdtempSync(path.join(tmpdir(), "nightshift-connectors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("checkpoint", () => {
  it("moves the high-water mark and keeps the ids seen at it", () => {
    let cp = advanceCheckpoint(EMPTY_CHECKPOINT, [
      { id: "a", time: "2026-11-24T10:00:00Z" },
      { id: "b", time: "2026-11-24T10:00:01Z" },
      { id: "c", time: "2026-11-24T10:00:01.000+00:00" },
    ], [1]);
    expect(cp).toEqual({ time: "2026-11-24T10:00:01.000Z", seen: ["b", "c"], overflow: false, cursor: [1] });
    expect(isSeen(cp, "c", "2026-11-24T10:00:01Z")).toBe(true);
    expect(isSeen(cp, "d", "2026-11-24T10:00:01Z")).toBe(false);
    expect(isSeen(cp, "z", "2026-11-24T09:59:59Z")).toBe(true);
    cp = advanceCheckpoint(cp, [], undefined);
    expect(cp.cursor).toEqual([1]);
  });

  it("bounds the seen ids and says so", () => {
    const records = Array.from({ length: MAX_SEEN + 2 }, (_, i) => ({ id: `id${i}`, time: "2026-11-24T10:00:00Z" }));
    const cp = advanceCheckpoint(EMPTY_CHECKPOINT, records, ["x"]);
    expect(cp.seen).toHaveLength(MAX_SEEN);
    expect(cp.seen.at(-1)).toBe(`id${MAX_SEEN + 1}`);
    expect(cp.overflow).toBe(true);
    expect(advanceCheckpoint(cp, [{ id: "n", time: "2026-11-24T10:00:01Z" }]).overflow).toBe(false);
  });
});

describe("http retries", () => {
  const clock = fixedClock("2026-11-24T10:00:00Z");
  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(retryAfterMs("3", clock.now())).toBe(3000);
    expect(retryAfterMs("Tue, 24 Nov 2026 10:00:30 GMT", new Date("2026-11-24T10:00:00Z"))).toBe(30_000);
    expect(retryAfterMs("Tue, 24 Nov 2026 09:00:00 GMT", new Date("2026-11-24T10:00:00Z"))).toBe(0);
    expect(retryAfterMs("soon", clock.now())).toBeNull();
    expect(retryAfterMs(null, clock.now())).toBeNull();
  });

  it("retries network errors with exponential backoff and redacts the secret from the error", async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const error = (await requestWithRetry(
      async () => {
        calls++;
        throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED https://u:hunter2-pw@host") });
      },
      { what: "GET /x", clock, sleep: async (ms) => void sleeps.push(ms), redact: makeRedactor(["hunter2-pw"]), retry: { maxAttempts: 4, baseDelayMs: 100 } },
    ).catch((e: unknown) => e)) as Error;
    expect(calls).toBe(4);
    expect(sleeps).toEqual([100, 200, 400]);
    expect(error.message).toBe("GET /x: connect ECONNREFUSED https://u:***@host (gave up after 4 attempts)");
  });

  it("does not retry 401 or 403", async () => {
    for (const status of [401, 403]) {
      let calls = 0;
      const error = await requestWithRetry(async () => (calls++, new Response("nope", { status })), { what: "POST /s", clock, sleep: async () => {}, redact: (t) => t }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectorAuthError);
      expect(calls).toBe(1);
    }
  });
});

describe("connector configuration", () => {
  const source = { name: "w", kind: "wazuh", enabled: true, interval_seconds: 30, url: "https://indexer:9200", username: "reader", password: "${WAZUH_PW}" };

  it("resolves ${NAME} from the environment first, then from the secrets file", () => {
    const file = path.join(dir, "secrets.env");
    writeFileSync(file, "# lab\nWAZUH_PW='from-file-pw'\nOTHER=1\n");
    const fromFile = buildConnectors({ connectors: { secrets_file: file, sources: [source] } }, {});
    expect(fromFile[0]!.redact("pw=from-file-pw")).toBe("pw=***");
    expect(fromFile[0]!.connector).toMatchObject({ name: "w", kind: "wazuh", intervalSeconds: 30 });
    const fromEnv = buildConnectors({ connectors: { secrets_file: file, sources: [source] } }, { WAZUH_PW: "from-env-pw" });
    expect(fromEnv[0]!.redact("from-env-pw from-file-pw")).toBe("*** from-file-pw");
    // The basic-auth token is redacted too.
    expect(fromEnv[0]!.redact(Buffer.from("reader:from-env-pw").toString("base64"))).toBe("***");
    expect(parseSecretsFile('{"A": "1", "B": 2}')).toEqual({ A: "1" });
  });

  it("names every bad setting by path, without echoing secrets", () => {
    const error = (() => {
      try {
        buildConnectors(
          {
            connectors: {
              sources: [
                source,
                { ...source, name: "x", url: "ftp://nope", password: "p", page_size: 0, severity_levels: { low: [0, 15], high: [15, 15] } },
                { ...source, name: "y", kind: "splunk" },
              ],
            },
          },
          {},
        );
      } catch (e) {
        return e as ValidationError;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    const paths = error!.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "connectors.sources[0].password",
        "connectors.sources[1].url",
        "connectors.sources[1].page_size",
        "connectors.sources[1].severity_levels.high",
        "connectors.sources[2].kind",
      ]),
    );
    expect(error!.issues.find((i) => i.path === "connectors.sources[0].password")!.message).toMatch(/WAZUH_PW/);
  });
});
