import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { attachAlert, listAudit, listComments, verifyAuditChain } from "../../cases/index.js";
import { storedAlert } from "../../cases/test-alerts.js";
import { fixedClock } from "../../core/index.js";
import type { ToolCaller } from "../tools/index.js";
import { createMcpServer, mcpToolsFor } from "./server.js";
import { CREW_TOOLS } from "../tools/index.js";

const clock = fixedClock("2026-11-24T10:00:00.000Z", 1000);

function textOf(result: CallToolResult): string {
  const first = result.content[0];
  if (first?.type !== "text") throw new Error(`expected text content, got ${JSON.stringify(result.content)}`);
  return first.text;
}

describe(`MCP server over the crew tools (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let caseId: string;
  const clients: Client[] = [];

  async function connect(caller: ToolCaller): Promise<Client> {
    const server = createMcpServer({ db: env.store.db, clock, caller, tokenId: `tok-${caller.role}` });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: "test-agent", version: "1.0.0" });
    await client.connect(clientSide);
    clients.push(client);
    return client;
  }

  const viewer: ToolCaller = { agent: null, name: "ops-viewer", role: "viewer" };
  const analyst: ToolCaller = { agent: null, name: "alice", role: "analyst" };

  beforeEach(async () => {
    env = await openTestEnvironment();
    const alert = await storedAlert(env.store.db, { host: "ws-07", dst_domain: "evil.example" });
    caseId = (await attachAlert(env.store.db, alert, { windowMinutes: 60 }, clock)).caseId;
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    await env.cleanup();
  });

  it("offers a viewer the read tools only and an analyst every tool, with JSON Schema inputs", async () => {
    const reads = CREW_TOOLS.filter((tool) => !tool.writes).map((tool) => tool.name);
    const writes = CREW_TOOLS.filter((tool) => tool.writes).map((tool) => tool.name);
    expect(reads.length).toBeGreaterThan(0);
    expect(writes.length).toBeGreaterThan(0);

    const asViewer = (await (await connect(viewer)).listTools()).tools;
    expect(asViewer.map((tool) => tool.name).sort()).toEqual([...reads].sort());

    const asAnalyst = (await (await connect(analyst)).listTools()).tools;
    // Agents' shift memory is theirs: only an admin may write into it from outside.
    expect(asAnalyst.map((tool) => tool.name).sort()).toEqual([...reads, ...writes.filter((name) => name !== "write_shift_memory")].sort());
    const getCase = asAnalyst.find((tool) => tool.name === "get_case")!;
    expect(getCase.inputSchema.type).toBe("object");
    expect(getCase.inputSchema.properties).toHaveProperty("case_id");
    expect(getCase.annotations?.readOnlyHint).toBe(true);
    expect(asAnalyst.find((tool) => tool.name === "add_case_comment")?.annotations?.readOnlyHint).toBe(false);
    expect(mcpToolsFor("admin").length).toBe(CREW_TOOLS.length);
  });

  it("calls a read tool and returns its result as text", async () => {
    const client = await connect(viewer);
    const result = (await client.callTool({ name: "get_case", arguments: { case_id: caseId } })) as CallToolResult;
    expect(result.isError ?? false).toBe(false);
    expect(textOf(result)).toContain(caseId);
    expect(textOf(result)).toContain("ws-07");
  });

  it("keeps an over-budget result behind a handle that the same session pages with read_result, and no other session sees", async () => {
    const server = createMcpServer({ db: env.store.db, clock, caller: viewer, resultTokens: 120 });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: "small-context", version: "1.0.0" });
    await client.connect(clientSide);
    clients.push(client);

    const first = (await client.callTool({ name: "get_case", arguments: { case_id: caseId } })) as CallToolResult;
    expect(first.isError ?? false, textOf(first)).toBe(false);
    const handle = /"handle":\s*"(r-\d+)"/.exec(textOf(first))?.[1];
    expect(handle, textOf(first)).toBeDefined();
    const paged = (await client.callTool({ name: "read_result", arguments: { handle } })) as CallToolResult;
    expect(paged.isError ?? false, textOf(paged)).toBe(false);

    const other = await connect(viewer);
    const elsewhere = (await other.callTool({ name: "read_result", arguments: { handle } })) as CallToolResult;
    expect(elsewhere.isError).toBe(true);
  });

  it("applies an analyst's comment at once, authored and audited under the token's name", async () => {
    const client = await connect(analyst);
    const result = (await client.callTool({ name: "add_case_comment", arguments: { case_id: caseId, body: "checked the proxy logs: no egress" } })) as CallToolResult;
    expect(result.isError ?? false, textOf(result)).toBe(false);

    const comments = await listComments(env.store.db, caseId);
    expect(comments.map((c) => [c.author.kind, c.author.name, c.body])).toEqual([["human", "alice", "checked the proxy logs: no egress"]]);
    const audit = await listAudit(env.store.db, { caseId });
    const mcpEvent = audit.find((event) => event.action === "mcp.add_case_comment");
    expect(mcpEvent).toMatchObject({ actor: { kind: "human", name: "alice" }, case_id: caseId, data: { ok: true, token_id: "tok-analyst" } });
    expect((await verifyAuditChain(env.store.db)).ok).toBe(true);
  });

  it("refuses a write to a viewer and writes nothing but the refusal's audit", async () => {
    const client = await connect(viewer);
    const result = (await client.callTool({ name: "add_case_comment", arguments: { case_id: caseId, body: "closing this" } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(JSON.parse(textOf(result))).toMatchObject({ error: { code: "forbidden" } });
    expect(await listComments(env.store.db, caseId)).toEqual([]);
    const refusals = (await listAudit(env.store.db, { caseId })).filter((event) => event.action.startsWith("mcp."));
    expect(refusals).toMatchObject([{ action: "mcp.add_case_comment", actor: { name: "ops-viewer" }, data: { ok: false, error: { code: "forbidden" } } }]);
  });

  it("answers bad arguments and unknown tools with isError results naming the problem", async () => {
    const client = await connect(analyst);
    const bad = (await client.callTool({ name: "add_case_comment", arguments: { case_id: caseId } })) as CallToolResult;
    expect(bad.isError).toBe(true);
    expect(JSON.parse(textOf(bad))).toMatchObject({ error: { code: "invalid_arguments" } });
    expect(textOf(bad)).toContain("body");
    expect(await listComments(env.store.db, caseId)).toEqual([]);

    const missing = (await client.callTool({ name: "get_case", arguments: { case_id: "TORA-20261124-9999" } })) as CallToolResult;
    expect(missing.isError).toBe(true);
    expect(JSON.parse(textOf(missing))).toMatchObject({ error: { code: "not_found" } });

    const unknown = (await client.callTool({ name: "drop_database", arguments: {} })) as CallToolResult;
    expect(unknown.isError).toBe(true);
    expect(JSON.parse(textOf(unknown))).toMatchObject({ error: { code: "unknown_tool" } });
  });
});
