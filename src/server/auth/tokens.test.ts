import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { NotFoundError, ValidationError, fixedClock, sha256 } from "../../core/index.js";
import { authenticate, createToken, listTokens, revokeToken, roleAtLeast, tokenActorName } from "./tokens.js";

describe(`tokens (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  beforeEach(async () => {
    env = await openTestEnvironment();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("creates ns_ tokens of 32 random bytes and stores only their SHA-256", async () => {
    const clock = fixedClock("2026-11-24T10:00:00Z");
    const a = await createToken(env.store.db, { role: "analyst", name: "soar" }, clock);
    const b = await createToken(env.store.db, { role: "analyst" }, clock);
    expect(a.token).toMatch(/^ns_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.token.slice(3), "base64url")).toHaveLength(32);
    expect(a.token).not.toBe(b.token);
    const rows = await env.store.db.selectFrom("tokens").selectAll().orderBy("name", "desc").execute();
    expect(rows.map((r) => r.token_hash).sort()).toEqual([sha256(a.token), sha256(b.token)].sort());
    expect(JSON.stringify(rows)).not.toContain(a.token.slice(3));
  });

  it("authenticates a valid token and refuses unknown, malformed and revoked ones", async () => {
    const clock = fixedClock("2026-11-24T10:00:00Z");
    const created = await createToken(env.store.db, { role: "viewer", name: "wallboard" }, clock);
    expect(await authenticate(env.store.db, created.token, clock)).toEqual({ id: created.id, role: "viewer", name: "wallboard" });
    expect(await authenticate(env.store.db, `${created.token}x`, clock)).toBeNull();
    expect(await authenticate(env.store.db, created.token.slice(3), clock)).toBeNull();
    expect(await authenticate(env.store.db, "", clock)).toBeNull();
    await revokeToken(env.store.db, created.id, clock);
    expect(await authenticate(env.store.db, created.token, clock)).toBeNull();
    await expect(revokeToken(env.store.db, "missing", clock)).rejects.toBeInstanceOf(NotFoundError);
    // Revoking twice is not an error and keeps the first revocation time.
    const before = (await listTokens(env.store.db))[0]!.revoked_at;
    clock.advance(5000);
    await revokeToken(env.store.db, created.id, clock);
    expect((await listTokens(env.store.db))[0]!.revoked_at).toBe(before);
  });

  it("writes last_used_at at most once a minute", async () => {
    const clock = fixedClock("2026-11-24T10:00:00Z");
    const { id, token } = await createToken(env.store.db, { role: "admin" }, clock);
    const lastUsed = async () => (await listTokens(env.store.db)).find((t) => t.id === id)!.last_used_at;
    expect(await lastUsed()).toBeNull();
    await authenticate(env.store.db, token, clock);
    expect(await lastUsed()).toBe("2026-11-24T10:00:00.000Z");
    clock.advance(30_000);
    await authenticate(env.store.db, token, clock);
    expect(await lastUsed()).toBe("2026-11-24T10:00:00.000Z");
    clock.advance(30_000);
    await authenticate(env.store.db, token, clock);
    expect(await lastUsed()).toBe("2026-11-24T10:01:00.000Z");
  });

  it("lists tokens without hashes and validates the role", async () => {
    const clock = fixedClock("2026-11-24T10:00:00Z", 1000);
    await createToken(env.store.db, { role: "viewer", name: "first" }, clock);
    const second = await createToken(env.store.db, { role: "admin" }, clock);
    const listed = await listTokens(env.store.db);
    expect(listed.map((t) => t.name)).toEqual([null, "first"]);
    for (const token of listed) expect(Object.keys(token).sort()).toEqual(["created_at", "id", "last_used_at", "name", "revoked_at", "role"]);
    expect(tokenActorName(listed[0]!)).toBe(`token:${second.id.slice(0, 8)}`);
    expect(tokenActorName(listed[1]!)).toBe("first");
    await expect(createToken(env.store.db, { role: "root" as never }, clock)).rejects.toBeInstanceOf(ValidationError);
  });

  it("orders roles viewer < analyst < admin", () => {
    expect(roleAtLeast("admin", "analyst")).toBe(true);
    expect(roleAtLeast("analyst", "analyst")).toBe(true);
    expect(roleAtLeast("viewer", "analyst")).toBe(false);
    expect(roleAtLeast("analyst", "admin")).toBe(false);
  });
});
