import type { Clock } from "../core/index.js";
import type { Config } from "../config/index.js";
import type { Db } from "../store/index.js";
import type { TokenPrincipal } from "./auth/tokens.js";

export interface ServerDeps {
  db: Db;
  config: Config;
  clock: Clock;
  /** The built journal site; defaults to `$NIGHTSHIFT_HOME/journal/site`. */
  journalDir?: string;
}

/** Who is calling: a token holder (by bearer header or, on the journal only, by cookie) or a signed webhook. */
export type Principal =
  | { kind: "token"; via: "bearer" | "cookie"; token: TokenPrincipal }
  | { kind: "webhook" };

export interface AppEnv {
  /** requestId: set by the access log for every request (server/access-log.ts). */
  Variables: { principal: Principal; requestId: string };
}
