import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startScriptedServer, type ScriptedServer } from "../src/crew/model/scripted-server.js";
import { cliEnvironment } from "./support/environment.js";
import { lastLine, runCli, type CliResult } from "./support/cli.js";

/**
 * With a model configured, eval runs the crew on it and counts its tokens. Here the model never gives a valid
 * answer: every run fails, and a failure never closes a case - so nothing at all may end closed.
 */
describe("nightshift eval on a configured model", () => {
  let environment: Awaited<ReturnType<typeof cliEnvironment>>;
  let server: ScriptedServer;
  let result: CliResult;

  beforeAll(async () => {
    environment = await cliEnvironment();
    server = await startScriptedServer({ model: "scripted-analyst", apiKey: "sk-test-eval" });
    server.script(() => ({ kind: "message", content: "Looks fine to me, nothing to see.", usage: { prompt_tokens: 1200, completion_tokens: 40 } }));
    result = await runCli(["eval", path.resolve(import.meta.dirname, "../src/lab/packs/phishing.yaml"), "--json"], {
      ...environment.env,
      NIGHTSHIFT_MODEL_URL: server.url,
      NIGHTSHIFT_MODEL: "scripted-analyst",
      NIGHTSHIFT_MODEL_KEY: "sk-test-eval",
    });
  }, 300_000);

  afterAll(async () => {
    await server?.close();
    await environment?.cleanup();
  });

  it("names the model, counts its tokens per case, and a failing model closes nothing", () => {
    const out = JSON.parse(lastLine(result.stdout));
    expect(out.analyst).toBe("model:scripted-analyst");
    expect(server.requests.length).toBeGreaterThan(0);
    expect(out.tokens.in).toBeGreaterThanOrEqual(1200);
    expect(out.tokens.per_case).toBeGreaterThan(0);
    expect(out.packs[0].counts.benign_alerts_closed + out.packs[0].counts.malicious_alerts_closed).toBe(0);
    expect(out.malicious_incidents_closed).toBe(0);
    expect(result.code, result.stderr).toBe(0);
  });
});
