import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { createHttpApp } from "./app.js";
import type { ServerDeps } from "./context.js";
import { readTlsFiles, watchTlsFiles, type TlsFiles } from "./tls.js";

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Listens on host:port (port 0 picks a free one) and resolves once the socket is bound. With `tls` (both
 * files) it serves HTTPS and reloads the certificate when the files change; a pair that does not load
 * fails the start.
 */
export function startHttpServer(deps: ServerDeps, listen: { host: string; port: number; tls?: Partial<TlsFiles> }): Promise<HttpServer> {
  const app = createHttpApp(deps);
  const tlsFiles = listen.tls?.cert_file && listen.tls.key_file ? { cert_file: listen.tls.cert_file, key_file: listen.tls.key_file } : undefined;
  const secure = tlsFiles ? readTlsFiles(tlsFiles) : undefined;
  return new Promise((resolve, reject) => {
    let server: ServerType | undefined = undefined;
    let unwatch = () => {};
    const onError = (error: Error) => reject(error);
    const options = { fetch: app.fetch, hostname: listen.host, port: listen.port };
    const listening = (info: AddressInfo) => {
      server!.off("error", onError);
      if (tlsFiles) unwatch = watchTlsFiles(server as HttpsServer, tlsFiles);
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({
        url: `${secure ? "https" : "http"}://${host}:${info.port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            unwatch();
            server!.close((error) => (error ? fail(error) : done()));
            // Idle keep-alive connections would hold close() open until they time out.
            if ("closeIdleConnections" in server!) server.closeIdleConnections();
          }),
      });
    };
    server = secure ? serve({ ...options, createServer: createHttpsServer, serverOptions: secure }, listening) : serve(options, listening);
    server.once("error", onError);
  });
}
