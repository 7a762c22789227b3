import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTestEnvironment, testStoreKind, type TestEnvironment } from "../../../test/support/store.js";
import { fixedClock } from "../../core/index.js";
import { createTestClient, type TestClient } from "../testing.js";
import { journalSegments } from "./journal.js";

const SECRET = "top-secret-outside-the-site";

describe(`journal routes (${testStoreKind()})`, () => {
  let env: TestEnvironment;
  let client: TestClient;
  let site: string;
  beforeEach(async () => {
    env = await openTestEnvironment();
    site = path.join(env.home, "journal", "site");
    mkdirSync(path.join(site, "posts"), { recursive: true });
    writeFileSync(path.join(site, "index.html"), "<h1>Nightshift journal</h1>");
    writeFileSync(path.join(site, "posts", "index.html"), "<h1>Posts</h1>");
    writeFileSync(path.join(site, "style.css"), "body{}");
    writeFileSync(path.join(site, ".env"), SECRET);
    // Planted one and two levels above the site, where `..` and `../..` would land.
    writeFileSync(path.join(env.home, "journal", "secret.txt"), SECRET);
    writeFileSync(path.join(env.home, "secret.txt"), SECRET);
    symlinkSync(path.join(env.home, "secret.txt"), path.join(site, "leak.txt"));
    client = await createTestClient({ db: env.store.db, config: env.config, clock: fixedClock("2026-11-24T10:00:00Z") });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it("needs a token, serves the site to any role and index.html for directories", async () => {
    expect((await client.request("/journal/")).status).toBe(401);
    expect((await client.request("/journal/style.css")).status).toBe(401);
    for (const role of ["viewer", "analyst", "admin"] as const) {
      const res = await client.request("/journal/", { as: role });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/html");
      expect(await res.text()).toBe("<h1>Nightshift journal</h1>");
    }
    const css = await client.request("/journal/style.css", { as: "viewer" });
    expect(css.headers.get("content-type")).toContain("text/css");
    expect(await (await client.request("/journal/posts/", { as: "viewer" })).text()).toBe("<h1>Posts</h1>");
    const noSlash = await client.request("/journal/posts", { as: "viewer" });
    expect(noSlash.status).toBe(301);
    expect(noSlash.headers.get("location")).toBe("/journal/posts/");
    expect((await client.request("/journal", { as: "viewer" })).headers.get("location")).toBe("/journal/");
    expect((await client.request("/journal/missing.html", { as: "viewer" })).status).toBe(404);
    const root = await client.request("/");
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/journal/");
  });

  it("never serves a file outside the site", async () => {
    const attempts = [
      "/journal/..%2fsecret.txt",
      "/journal/%2e%2e/secret.txt",
      "/journal/%2E%2E%2Fsecret.txt",
      "/journal/posts/..%2f..%2fsecret.txt",
      "/journal/..%5csecret.txt",
      "/journal/posts/%2e%2e/%2e%2e/secret.txt",
      "/journal/%2e%2e/%2e%2e/secret.txt",
      "/journal/..%2f..%2fsecret.txt",
      "/journal/../secret.txt",
      "/journal/leak.txt",
      "/journal/.env",
      "/journal/%00",
      "/journal/%E0%A4%A",
    ];
    for (const attempt of attempts) {
      const res = await client.request(attempt, { as: "admin" });
      expect(res.status, attempt).toBe(404);
      expect(await res.text(), attempt).not.toContain(SECRET);
    }
  });

  it("splits only safe segments", () => {
    expect(journalSegments("/journal/posts/a%20b.html")).toEqual(["posts", "a b.html"]);
    expect(journalSegments("/journal/")).toEqual([]);
    expect(journalSegments("/journal/a/..%2F..%2Fetc")).toBeNull();
    expect(journalSegments("/journal/%2e%2e")).toBeNull();
  });

  it("answers 404 while the journal is not built", async () => {
    const empty = await createTestClient({
      db: env.store.db,
      config: env.config,
      clock: fixedClock("2026-11-24T10:00:00Z"),
      journalDir: path.join(env.home, "not-built"),
    });
    const res = await empty.request("/journal/", { as: "viewer" });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toMatch(/not been built/);
  });

  it("signs a browser in with an HttpOnly SameSite=Strict cookie that only the journal accepts", async () => {
    const bad = await client.request("/login?token=ns_wrong");
    expect(bad.status).toBe(401);
    expect(bad.headers.get("set-cookie")).toBeNull();
    const res = await client.request(`/login?token=${client.tokens.viewer}`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/journal/");
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^nightshift_token=ns_/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\/journal/);
    const pair = cookie.split(";")[0]!;
    const page = await client.request("/journal/", { headers: { cookie: pair } });
    expect(page.status).toBe(200);
    expect((await client.request("/api/v1/health", { headers: { cookie: pair } })).status).toBe(401);
    const forged = await client.request("/journal/", { headers: { cookie: "nightshift_token=ns_forged" } });
    expect(forged.status).toBe(401);
  });
});
