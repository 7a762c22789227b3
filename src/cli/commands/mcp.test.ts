import { writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lastLine, runCli } from "../../../test/support/cli.js";
import { cliEnvironment } from "../../../test/support/environment.js";
import { testStoreKind } from "../../../test/support/store.js";
import { openApp } from "../../app/index.js";
import { listAudit, listComments } from "../../cases/index.js";

const root = path.resolve(import.meta.dirname, "../../..");

function textOf(result: CallToolResult): string {
  const first = result.content[0];
  if (first?.type !== "text") throw new Error(`expected text content, got ${JSON.stringify(result.content)}`);
  return first.text;
}

describe(`nightshift mcp (${testStoreKind()})`, () => {
  let cli: Awaited<ReturnType<typeof cliEnvironment>>;
  let client: Client | undefined;
  beforeEach(async () => {
    cli = await cliEnvironment();
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await cli.cleanup();
  });

  async function token(role: string, name: string): Promise<string> {
    const created = await runCli(["token", "create", "--role", role, "--name", name], cli.env);
    expect(created.code, created.stderr).toBe(0);
    return lastLine(created.stdout);
  }

  function connect(env: Record<string, string>, args: string[] = []): Promise<void> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(root, "node_modules/tsx/dist/cli.mjs"), path.join(root, "src/cli/main.ts"), "mcp", ...args],
      env: { ...(process.env as Record<string, string>), ...env },
      stderr: "pipe",
    });
    client = new Client({ name: "cli-test", version: "1.0.0" });
    return client.connect(transport);
  }

  it("serves the tools on stdio under the token's role: an analyst reads and comments", async () => {
    const file = path.join(cli.env.NIGHTSHIFT_HOME!, "alerts.json");
    writeFileSync(file, JSON.stringify([{ title: "Beacon to evil.example", source: "ids", source_id: "b-1", host: "ws-42", dst: "evil.example" }]));
    expect((await runCli(["ingest", "alerts", file], cli.env)).code).toBe(0);
    expect((await runCli(["shift", "run", "--until-idle"], cli.env)).code).toBe(0);
    const [exported] = (await runCli(["cases", "export"], cli.env)).stdout.trim().split("\n");
    const caseId = (JSON.parse(exported!) as { id: string }).id;

    await connect({ ...cli.env, NIGHTSHIFT_TOKEN: await token("analyst", "agent-smith") });
    const names = (await client!.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(["get_case", "add_case_comment"]));

    const read = (await client!.callTool({ name: "get_case", arguments: { case_id: caseId } })) as CallToolResult;
    expect(read.isError ?? false, textOf(read)).toBe(false);
    expect(textOf(read)).toContain("ws-42");

    const wrote = (await client!.callTool({ name: "add_case_comment", arguments: { case_id: caseId, body: "looked at it over MCP" } })) as CallToolResult;
    expect(wrote.isError ?? false, textOf(wrote)).toBe(false);
    await client!.close();
    client = undefined;

    const app = await openApp({ env: cli.env });
    try {
      const comments = await listComments(app.store.db, caseId);
      expect(comments.filter((c) => c.author.kind === "human").map((c) => [c.author.name, c.body])).toEqual([["agent-smith", "looked at it over MCP"]]);
      const audit = await listAudit(app.store.db, { caseId, limit: 1000 });
      expect(audit.filter((event) => event.action.startsWith("mcp.")).map((event) => [event.action, event.actor.name])).toEqual([
        ["mcp.add_case_comment", "agent-smith"],
      ]);
    } finally {
      await app.close();
    }
  });

  it("offers a viewer token no write tools", async () => {
    await connect({ ...cli.env, NIGHTSHIFT_TOKEN: "" }, ["--token", await token("viewer", "wallboard")]);
    const tools = (await client!.listTools()).tools;
    expect(tools.map((tool) => tool.name)).toContain("get_case");
    expect(tools.filter((tool) => tool.annotations?.readOnlyHint === false)).toEqual([]);
  });

  it("exits 2 with a clear message without a token or with an invalid one", async () => {
    const none = await runCli(["mcp"], { ...cli.env, NIGHTSHIFT_TOKEN: "" });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/NIGHTSHIFT_TOKEN/);
    expect(none.stdout).toBe("");

    const invalid = await runCli(["mcp", "--token", "ns_not-a-real-token"], cli.env);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/invalid or revoked token/);
    expect(invalid.stdout).toBe("");
  });
});
