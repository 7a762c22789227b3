import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { attachAlert, listAudit, listComments } from "../../cases/index.js";
import { storedAlert } from "../../cases/test-alerts.js";
import { fixedClock } from "../../core/index.js";
import { createTestClient, type TestClient } from "../testing.js";

const clock = fixedClock("2026-11-24T10:00:00.000Z", 1000);

function textOf(result: CallToolResult): string {
  const first = result.content[0];
  if (first?.type !== "text") throw new Error(`expected text content, got ${JSON.stringify(result.content)}`);
  return first.text;
}

const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};
const MCP_HEADERS = { accept: "application/json, text/event-stream", "content-type": "application/json" };

describe(`MCP over Streamable HTTP at /mcp (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let http: TestClient;
  let caseId: string;
  const clients: Client[] = [];

  /** An MCP client whose requests go straight into the Hono app, with the role's bearer token. */
  async function connect(role: "viewer" | "analyst"): Promise<Client> {
    const transport = new StreamableHTTPClientTransport(new URL("http://nightshift.test/mcp"), {
      requestInit: { headers: { authorization: `Bearer ${http.tokens[role]}` } },
      fetch: (url, init) => Promise.resolve(http.app.request(String(url), init)),
    });
    const client = new Client({ name: `http-${role}`, version: "1.0.0" });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  beforeEach(async () => {
    env = await openTestEnvironment();
    http = await createTestClient({ db: env.store.db, config: env.config, clock });
    const alert = await storedAlert(env.store.db, { host: "ws-09" });
    caseId = (await attachAlert(env.store.db, alert, { windowMinutes: 60 }, clock)).caseId;
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    await env.cleanup();
  });

  it("lists tools by role, reads, and applies an analyst's comment under the token's name", async () => {
    const viewer = await connect("viewer");
    const viewerTools = (await viewer.listTools()).tools;
    expect(viewerTools.map((tool) => tool.name)).toContain("get_case");
    expect(viewerTools.filter((tool) => tool.annotations?.readOnlyHint === false)).toEqual([]);
    const read = (await viewer.callTool({ name: "get_case", arguments: { case_id: caseId } })) as CallToolResult;
    expect(textOf(read)).toContain("ws-09");

    const analyst = await connect("analyst");
    expect((await analyst.listTools()).tools.map((tool) => tool.name)).toContain("add_case_comment");
    const wrote = (await analyst.callTool({ name: "add_case_comment", arguments: { case_id: caseId, body: "from an outside agent" } })) as CallToolResult;
    expect(wrote.isError ?? false, textOf(wrote)).toBe(false);
    expect((await listComments(env.store.db, caseId)).map((c) => [c.author.name, c.body])).toEqual([["analyst-test", "from an outside agent"]]);
    expect((await listAudit(env.store.db, { caseId })).filter((e) => e.action.startsWith("mcp.")).map((e) => e.actor.name)).toEqual(["analyst-test"]);

    const refused = (await viewer.callTool({ name: "add_case_comment", arguments: { case_id: caseId, body: "x" } })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(await listComments(env.store.db, caseId)).toHaveLength(1);
  });

  it("needs a bearer token, and a session answers only the token that opened it", async () => {
    const anonymous = await http.request("/mcp", { method: "POST", headers: MCP_HEADERS, json: INITIALIZE });
    expect(anonymous.status).toBe(401);

    const opened = await http.request("/mcp", { method: "POST", as: "analyst", headers: MCP_HEADERS, json: INITIALIZE });
    expect(opened.status).toBe(200);
    const sessionId = opened.headers.get("mcp-session-id");
    expect(sessionId).toBeTruthy();

    const list = { jsonrpc: "2.0", id: 2, method: "tools/list", params: {} };
    const headers = { ...MCP_HEADERS, "mcp-session-id": sessionId!, "mcp-protocol-version": "2025-06-18" };
    const hijack = await http.request("/mcp", { method: "POST", as: "viewer", headers, json: list });
    expect(hijack.status).toBe(404);
    const own = await http.request("/mcp", { method: "POST", as: "analyst", headers, json: list });
    expect(own.status).toBe(200);
    const body = (await own.json()) as { result: { tools: { name: string }[] } };
    expect(body.result.tools.map((tool) => tool.name)).toContain("add_case_comment");
  });
});
