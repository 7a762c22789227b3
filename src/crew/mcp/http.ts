import { randomUUID } from "node:crypto";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Clock } from "../../core/index.js";
import type { Db } from "../../store/index.js";
import type { ToolCaller, ToolDefinition } from "../tools/index.js";
import { createMcpServer } from "./server.js";

/** A session unused this long is closed: its result handles go with it. */
export const MCP_SESSION_IDLE_MS = 30 * 60_000;
export const MCP_MAX_SESSIONS = 256;

export interface McpHttpOptions {
  db: Db;
  clock: Clock;
  tools?: readonly ToolDefinition[];
  resultTokens?: number;
  version?: string;
  idleMs?: number;
  maxSessions?: number;
  /** Wall time for session expiry (not the SOC clock, which a replayed shift may run fast). */
  now?: () => number;
}

/** Who is calling, as the HTTP server authenticated them (a bearer token). */
export interface McpHttpPrincipal {
  caller: ToolCaller;
  tokenId: string;
}

interface Session {
  server: Server;
  transport: WebStandardStreamableHTTPServerTransport;
  tokenId: string;
  lastUsed: number;
}

export interface McpHttpHandler {
  /** Answers one Streamable HTTP request (POST messages, DELETE to end a session) for an authenticated principal. */
  handle(request: Request, principal: McpHttpPrincipal): Promise<Response>;
  sessionCount(): number;
  close(): Promise<void>;
}

function jsonRpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/**
 * The MCP Streamable HTTP endpoint. Sessions are kept in memory (one result store each, so handles can be
 * paged across calls) and bound to the token that opened them: another token, even of the same role, cannot
 * use them. Responses are plain JSON; no server-initiated stream is offered (GET answers 405).
 */
export function createMcpHttpHandler(options: McpHttpOptions): McpHttpHandler {
  const sessions = new Map<string, Session>();
  const now = options.now ?? Date.now;
  const idleMs = options.idleMs ?? MCP_SESSION_IDLE_MS;
  const maxSessions = options.maxSessions ?? MCP_MAX_SESSIONS;

  async function end(id: string) {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    await session.server.close().catch(() => undefined);
  }

  async function sweep() {
    const at = now();
    for (const [id, session] of sessions) if (at - session.lastUsed >= idleMs) await end(id);
    while (sessions.size >= maxSessions) {
      const oldest = [...sessions.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      if (!oldest) break;
      await end(oldest[0]);
    }
  }

  return {
    async handle(request, principal) {
      if (request.method === "GET") return jsonRpcError(405, -32000, "this server offers no event stream; POST messages", { allow: "POST, DELETE" });
      const sessionId = request.headers.get("mcp-session-id");
      if (sessionId) {
        const session = sessions.get(sessionId);
        // Another token's session is answered as unknown: its id says nothing to a caller who does not own it.
        if (!session || session.tokenId !== principal.tokenId || now() - session.lastUsed >= idleMs) {
          if (session && session.tokenId === principal.tokenId) await end(sessionId);
          return jsonRpcError(404, -32001, "Session not found");
        }
        session.lastUsed = now();
        const response = await session.transport.handleRequest(request);
        if (request.method === "DELETE") await end(sessionId);
        return response;
      }
      if (request.method !== "POST") return jsonRpcError(400, -32000, "Bad Request: no session (send initialize first)");

      await sweep();
      const server = createMcpServer({
        db: options.db,
        clock: options.clock,
        caller: principal.caller,
        tokenId: principal.tokenId,
        tools: options.tools,
        resultTokens: options.resultTokens,
        version: options.version,
      });
      let opened: Session | undefined;
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: true,
        onsessioninitialized: (id) => {
          opened = { server, transport, tokenId: principal.tokenId, lastUsed: now() };
          sessions.set(id, opened);
        },
      });
      await server.connect(transport);
      const response = await transport.handleRequest(request);
      // Anything but a successful initialize leaves no session behind.
      if (!opened) await server.close().catch(() => undefined);
      return response;
    },
    sessionCount: () => sessions.size,
    async close() {
      for (const id of [...sessions.keys()]) await end(id);
    },
  };
}
