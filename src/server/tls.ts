import { readFileSync, unwatchFile, watchFile } from "node:fs";
import type { Server as HttpsServer } from "node:https";
import { createSecureContext } from "node:tls";
import { logger } from "../core/index.js";

export interface TlsFiles {
  cert_file: string;
  key_file: string;
}

/** The PEM pair, checked by building a secure context from it (a key that does not match its certificate fails here). */
export function readTlsFiles(files: TlsFiles): { cert: Buffer; key: Buffer } {
  try {
    const cert = readFileSync(files.cert_file);
    const key = readFileSync(files.key_file);
    createSecureContext({ cert, key });
    return { cert, key };
  } catch (error) {
    throw new Error(`cannot load the TLS certificate ${files.cert_file} and key ${files.key_file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** How often the certificate and key files are checked for a change (polling: renames by cert managers included). */
export const TLS_WATCH_INTERVAL_MS = 1000;

/**
 * Reloads the server's certificate when either file changes: new connections get the new pair, open ones
 * keep theirs. A pair that does not load (half-written, mismatched) is logged and the old one kept.
 * Returns the function that stops watching.
 */
export function watchTlsFiles(server: HttpsServer, files: TlsFiles, intervalMs = TLS_WATCH_INTERVAL_MS): () => void {
  const reload = () => {
    try {
      server.setSecureContext(readTlsFiles(files));
      logger().info({ cert_file: files.cert_file }, "TLS certificate reloaded");
    } catch (error) {
      logger().error({ cert_file: files.cert_file, key_file: files.key_file, err: error }, "TLS certificate reload failed; keeping the previous one");
    }
  };
  const options = { interval: intervalMs, persistent: false };
  watchFile(files.cert_file, options, reload);
  watchFile(files.key_file, options, reload);
  return () => {
    unwatchFile(files.cert_file, reload);
    unwatchFile(files.key_file, reload);
  };
}
