import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { createHttpApp } from "./app.js";
import type { ServerDeps } from "./context.js";

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

/** Listens on host:port (port 0 picks a free one) and resolves once the socket is bound. */
export function startHttpServer(deps: ServerDeps, listen: { host: string; port: number }): Promise<HttpServer> {
  const app = createHttpApp(deps);
  return new Promise((resolve, reject) => {
    let server: ServerType | undefined = undefined;
    const onError = (error: Error) => reject(error);
    server = serve({ fetch: app.fetch, hostname: listen.host, port: listen.port }, (info: AddressInfo) => {
      server!.off("error", onError);
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server!.close((error) => (error ? fail(error) : done()));
            // Idle keep-alive connections would hold close() open until they time out.
            if ("closeIdleConnections" in server!) server.closeIdleConnections();
          }),
      });
    });
    server.once("error", onError);
  });
}
