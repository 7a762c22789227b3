import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { attachAlert } from "../../cases/index.js";
import { storedAlert } from "../../cases/test-alerts.js";
import { fixedClock } from "../../core/index.js";
import { serveMcpStdio } from "./stdio.js";

const clock = fixedClock("2026-11-24T10:00:00.000Z", 1000);

describe(`MCP on stdio (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("answers requests piped before stdin ends, then returns", async () => {
    const alert = await storedAlert(env.store.db, { host: "ws-77" });
    const { caseId } = await attachAlert(env.store.db, alert, { windowMinutes: 60 }, clock);
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let written = "";
    stdout.on("data", (chunk: Buffer) => (written += chunk.toString("utf8")));

    const served = serveMcpStdio({ db: env.store.db, clock, caller: { agent: null, name: "piper", role: "viewer" } }, { stdin, stdout });
    const messages = [
      { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "pipe", version: "1" } } },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "get_case", arguments: { case_id: caseId } } },
    ];
    stdin.end(messages.map((message) => `${JSON.stringify(message)}\n`).join(""));
    await served;

    const responses = written
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { id: number; result?: { content?: { text: string }[]; isError?: boolean } });
    expect(responses.map((response) => response.id)).toEqual([1, 2]);
    const call = responses[1]!.result!;
    expect(call.isError ?? false).toBe(false);
    expect(call.content?.[0]?.text).toContain("ws-77");
  });
});
