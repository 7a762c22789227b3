import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, registerSecrets, scrub } from "./logger.js";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });
  return { lines, log: createLogger({ level: "debug", destination }) };
}

describe("logger", () => {
  it("writes one JSON object a line with an ISO time, the level by name, the message and fields", () => {
    const { lines, log } = capture();
    log.info({ job_id: "j-1" }, "job done");
    log.debug("detail");
    log.trace("below the level");
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ level: "info", msg: "job done", job_id: "j-1", service: "nightshift" });
    expect(new Date(first.time as string).toISOString()).toBe(first.time);
  });

  it("never writes a registered secret, wherever it is: message, field, nested object or error", () => {
    const secret = 'pl4nted-"secret\\value-9f2c';
    registerSecrets([secret, "short", undefined]);
    const { lines, log } = capture();
    log.warn({ detail: { reply: `the server said ${secret}` } }, `connect with ${secret}`);
    log.error({ err: new Error(`refused: ${secret}`) }, "failed");
    const text = lines.join("\n");
    expect(text).not.toContain("pl4nted");
    // Message, field, and the error's message and stack.
    expect(text.match(/\[redacted\]/g)).toHaveLength(4);
    // Too short to register: ordinary words would vanish.
    log.info("a short message");
    expect(lines.at(-1)).toContain("a short message");
  });

  it("redacts bearer tokens, URL passwords, Authorization values and secret-named fields without registration", () => {
    const { lines, log } = capture();
    const token = `ns_${"A".repeat(43)}`;
    log.info(
      { authorization: "Bearer abc", password: "hunter2", connector: { api_key: "k-123" }, url: "postgres://app:s3cr3t@db:5432/ns" },
      `token ${token} and basic dXNlcjpwYXNzd29yZA== seen`,
    );
    const line = lines[0]!;
    for (const leaked of [token, "hunter2", "k-123", "s3cr3t", "dXNlcjpwYXNzd29yZA=="]) expect(line).not.toContain(leaked);
    expect(JSON.parse(line)).toMatchObject({ authorization: "[redacted]", password: "[redacted]", url: "postgres://app:[redacted]@db:5432/ns" });
  });

  it("scrub leaves a line without secrets as it is", () => {
    const line = '{"level":"info","msg":"request","path":"/api/v1/cases","status":200}';
    expect(scrub(line)).toBe(line);
  });
});
