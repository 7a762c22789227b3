import { createHash, randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from "kysely";
import type { Executor } from "./database.js";

/** The shortest key accepted, in characters (the generated key is 64 hex characters: 256 bits). */
export const MIN_AUDIT_KEY_LENGTH = 32;

/**
 * The secret that signs the audit chain (HMAC-SHA256), kept outside the database so that whoever can
 * write the database cannot recompute the chain. It rides on the store's Kysely instance as a plugin that
 * changes nothing, so every transaction opened from the store can sign without passing it around.
 */
export class AuditKey implements KyselyPlugin {
  /** A fingerprint naming the key in reports and checkpoints (not the key: a hash of it). */
  readonly id: string;
  constructor(
    readonly secret: Buffer,
    /** Where it came from: the key file's path, or `NIGHTSHIFT_AUDIT_KEY`. */
    readonly origin: string,
  ) {
    this.id = createHash("sha256").update("nightshift-audit-key").update(secret).digest("hex").slice(0, 16);
  }
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
  toJSON() {
    return { id: this.id, origin: this.origin };
  }
}

/** The audit key of the store an executor (or one of its transactions) belongs to, or null. */
export function auditKeyOf(ex: Executor): AuditKey | null {
  return (ex.getExecutor().plugins.find((p) => p instanceof AuditKey) as AuditKey | undefined) ?? null;
}

/**
 * The key from `NIGHTSHIFT_AUDIT_KEY` (given as `fromEnv`), else from `$NIGHTSHIFT_HOME/audit.key`, which is
 * created with 256 random bits and mode 0600 on first use (atomically: two processes starting together agree
 * on one key). A key file others can read or write is refused.
 */
export function loadAuditKey(home: string, fromEnv?: string): AuditKey {
  if (fromEnv !== undefined) {
    if (fromEnv.trim().length < MIN_AUDIT_KEY_LENGTH) throw new Error(`NIGHTSHIFT_AUDIT_KEY must be at least ${MIN_AUDIT_KEY_LENGTH} characters`);
    return new AuditKey(Buffer.from(fromEnv.trim(), "utf8"), "NIGHTSHIFT_AUDIT_KEY");
  }
  const file = path.join(home, "audit.key");
  mkdirSync(home, { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  try {
    writeFileSync(temp, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
    linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
  }
  if (process.platform !== "win32" && (statSync(file).mode & 0o077) !== 0)
    throw new Error(`${file} must be readable by its owner only (chmod 600 ${file})`);
  const secret = readFileSync(file, "utf8").trim();
  if (secret.length < MIN_AUDIT_KEY_LENGTH) throw new Error(`${file} must hold a key of at least ${MIN_AUDIT_KEY_LENGTH} characters`);
  return new AuditKey(Buffer.from(secret, "utf8"), file);
}
