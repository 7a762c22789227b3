import type { App } from "../app/index.js";
import { authenticate, type TokenPrincipal } from "../server/index.js";

/**
 * The API token a command acts under: `--token` or NIGHTSHIFT_TOKEN. Without one, says `missing` on stderr and
 * sets exit code 2 (before the store is opened).
 */
export function givenToken(option: string | undefined, missing: string): string | undefined {
  const token = option ?? process.env.NIGHTSHIFT_TOKEN;
  if (!token) {
    process.stderr.write(`${missing}\n`);
    process.exitCode = 2;
  }
  return token;
}

/** The token's holder, authenticated as over HTTP; an invalid or revoked token is said on stderr, exit code 2. */
export async function tokenHolder(app: App, token: string, command: string): Promise<TokenPrincipal | undefined> {
  const principal = await authenticate(app.store.db, token, app.clock);
  if (!principal) {
    process.stderr.write(`nightshift ${command}: invalid or revoked token\n`);
    process.exitCode = 2;
    return undefined;
  }
  return principal;
}
