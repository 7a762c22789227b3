import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The plumbing every loopback fake shares (vendor APIs in connector tests, the scripted model server):
 * read a request body, listen on 127.0.0.1 on a free port, close without waiting for kept-alive clients.
 */
export function readRequestBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Listens on a free loopback port; returns the base URL and a close function. */
export async function listenOnLoopback(server: Server): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
