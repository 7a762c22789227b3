import { randomBytes } from "node:crypto";
import { z } from "zod";
import { NotFoundError, ValidationError, issuesOf, newId, sha256, systemClock, type Clock } from "../../core/index.js";
import type { Db, Executor } from "../../store/index.js";

export const ROLES = ["viewer", "analyst", "admin"] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/** viewer < analyst < admin: a role may do everything the roles before it may. */
export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

export const TOKEN_PREFIX = "ns_";
/** last_used_at is a hint for admins, not an audit trail: writing it on every request would serialise reads. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface TokenPrincipal {
  id: string;
  role: Role;
  /** null when the token was created without a name. */
  name: string | null;
}

export interface TokenInfo extends TokenPrincipal {
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface CreatedToken {
  id: string;
  /** Shown once: only its SHA-256 is stored. */
  token: string;
  role: Role;
}

export const CreateTokenInput = z.object({
  role: Role,
  name: z.string().trim().min(1).max(200).optional(),
});
export type CreateTokenInput = z.infer<typeof CreateTokenInput>;

export async function createToken(ex: Executor, input: CreateTokenInput, clock: Clock = systemClock): Promise<CreatedToken> {
  const parsed = CreateTokenInput.safeParse(input);
  if (!parsed.success) throw new ValidationError("invalid token request", issuesOf(parsed.error));
  const { role, name } = parsed.data;
  const id = newId();
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  await ex
    .insertInto("tokens")
    .values({
      id,
      name: name ?? "",
      role,
      token_hash: sha256(token),
      created_at: clock.now().toISOString(),
      last_used_at: null,
      revoked_at: null,
    })
    .execute();
  return { id, token, role };
}

/** The principal a bearer token stands for, or null when it is unknown or revoked. */
export async function authenticate(db: Db, token: string, clock: Clock = systemClock): Promise<TokenPrincipal | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const row = await db
    .selectFrom("tokens")
    .select(["id", "name", "role", "last_used_at", "revoked_at"])
    .where("token_hash", "=", sha256(token))
    .executeTakeFirst();
  if (!row || row.revoked_at) return null;
  const role = Role.safeParse(row.role);
  if (!role.success) return null;
  const now = clock.now();
  const stale = !row.last_used_at || now.getTime() - Date.parse(row.last_used_at) >= LAST_USED_RESOLUTION_MS;
  if (stale) {
    await db.updateTable("tokens").set({ last_used_at: now.toISOString() }).where("id", "=", row.id).execute();
  }
  return { id: row.id, role: role.data, name: row.name || null };
}

export async function revokeToken(ex: Executor, id: string, clock: Clock = systemClock): Promise<void> {
  const result = await ex
    .updateTable("tokens")
    .set({ revoked_at: clock.now().toISOString() })
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) > 0) return;
  const exists = await ex.selectFrom("tokens").select("id").where("id", "=", id).executeTakeFirst();
  if (!exists) throw new NotFoundError(`token ${id}`);
}

/** Every token, newest first, without its hash. */
export async function listTokens(ex: Executor): Promise<TokenInfo[]> {
  const rows = await ex
    .selectFrom("tokens")
    .select(["id", "name", "role", "created_at", "last_used_at", "revoked_at"])
    .orderBy("created_at", "desc")
    .orderBy("id")
    .execute();
  return rows.map((row) => ({
    id: row.id,
    name: row.name || null,
    role: Role.parse(row.role),
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
  }));
}

/** How a token's holder appears as a human actor in cases, comments and the audit chain. */
export function tokenActorName(principal: TokenPrincipal): string {
  return principal.name ?? `token:${principal.id.slice(0, 8)}`;
}
