export {
  createMcpServer,
  describeTool,
  mcpToolsFor,
  toolInputSchema,
  MCP_AUDIT_PREFIX,
  MCP_RESULT_TOKENS,
  MCP_SERVER_NAME,
  type McpServerOptions,
} from "./server.js";
export { serveMcpStdio } from "./stdio.js";
export {
  createMcpHttpHandler,
  MCP_MAX_SESSIONS,
  MCP_SESSION_IDLE_MS,
  type McpHttpHandler,
  type McpHttpOptions,
  type McpHttpPrincipal,
} from "./http.js";
