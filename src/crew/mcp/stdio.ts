import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { createMcpServer, type McpServerOptions } from "./server.js";

/** How long requests still running when stdin ends may take to answer before the session closes anyway. */
const DRAIN_MS = 30_000;

type RequestId = string | number;

function requestId(message: JSONRPCMessage): RequestId | null {
  return "method" in message && "id" in message ? message.id : null;
}

function responseId(message: JSONRPCMessage): RequestId | null {
  return !("method" in message) && "id" in message && message.id !== undefined ? message.id : null;
}

/** A transport that counts the requests it has received and not yet answered, so closing can wait for them. */
function drainable(inner: Transport) {
  const pending = new Set<RequestId>();
  let drained: (() => void) | null = null;
  const outer: Transport = {
    start: () => inner.start(),
    close: () => inner.close(),
    async send(message, options) {
      await inner.send(message, options);
      const id = responseId(message);
      if (id !== null && pending.delete(id) && pending.size === 0) drained?.();
    },
  };
  inner.onmessage = (message, extra) => {
    const id = requestId(message);
    if (id !== null) pending.add(id);
    outer.onmessage?.(message, extra);
  };
  inner.onclose = () => outer.onclose?.();
  inner.onerror = (error) => outer.onerror?.(error);
  return {
    transport: outer,
    whenDrained(limitMs: number): Promise<void> {
      if (pending.size === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, limitMs);
        drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}

/**
 * Serves one MCP session on this process's stdin/stdout until the client hangs up (stdin ends) or the
 * process is told to stop. stdout carries only the protocol: anything else written there breaks the client.
 * Requests already received when stdin ends are answered first (a client may pipe requests and close).
 */
export async function serveMcpStdio(options: McpServerOptions, io: { stdin?: NodeJS.ReadableStream; stdout?: NodeJS.WritableStream } = {}): Promise<void> {
  const stdin = io.stdin ?? process.stdin;
  const server = createMcpServer(options);
  const { transport, whenDrained } = drainable(new StdioServerTransport(stdin as typeof process.stdin, (io.stdout ?? process.stdout) as typeof process.stdout));
  transport.onerror = (error) => process.stderr.write(`nightshift mcp: ${error.message}\n`);

  let finish: (graceful: boolean) => void = () => undefined;
  const closed = new Promise<boolean>((resolve) => {
    const onEnd = () => finish(true);
    const onSignal = () => finish(false);
    finish = (graceful) => {
      stdin.off("end", onEnd);
      stdin.off("close", onEnd);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve(graceful);
    };
    stdin.on("end", onEnd);
    stdin.on("close", onEnd);
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  server.onclose = () => finish(false);
  await server.connect(transport);

  if (await closed) await whenDrained(DRAIN_MS);
  await server.close();
}
