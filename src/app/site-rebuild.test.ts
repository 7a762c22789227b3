import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { testStoreKind, useTestEnvironment } from "../../test/support/store.js";
import { fixedClock } from "../core/index.js";
import { ingestAlerts, listAlerts } from "../ingest/index.js";
import { workUntilIdle, type App } from "./app.js";
import { siteRebuilder } from "./site-rebuild.js";

describe("siteRebuilder", () => {
  it("builds on a request, and folds the requests made during a build into one more build", async () => {
    let builds = 0;
    let release: () => void = () => {};
    const build = () => {
      builds++;
      return new Promise<void>((resolve) => (release = resolve));
    };
    const site = siteRebuilder(build, () => {});
    site.request();
    expect(builds).toBe(1);
    site.request();
    site.request();
    site.request();
    expect(builds).toBe(1);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(builds).toBe(2);
    release();
    await site.settled();
    expect(builds).toBe(2);
  });

  it("reports a failed build and builds again on the next request", async () => {
    const errors: unknown[] = [];
    let builds = 0;
    const site = siteRebuilder(async () => {
      if (++builds === 1) throw new Error("disk full");
    }, (error) => errors.push(error));
    site.request();
    await site.settled();
    site.request();
    await site.settled();
    expect(builds).toBe(2);
    expect(errors.map(String)).toEqual(["Error: disk full"]);
  });
});

describe(`the journal site after a shift's posts (${testStoreKind()})`, () => {
  const { env } = useTestEnvironment();

  it("is rebuilt by the journal job's hand-off: the worker returns with the new post on the site", async () => {
    const { config, store } = env();
    const clock = fixedClock(new Date("2026-11-24T09:00:00.000Z"));
    const app: App = { config, store, clock, journalDir: path.join(config.home, "journal"), close: async () => {} };
    await ingestAlerts(store.db, [{ title: "DNS query for a listed domain", source: "zeek-dns", source_id: "q1", host: "ws-1", time: clock.now().toISOString() }], { via: "api", clock });
    const index = path.join(config.home, "journal", "site", "index.html");
    expect(existsSync(index)).toBe(false);

    await workUntilIdle(app);
    const [alert] = await listAlerts(store.db);
    expect(alert?.case_id).toMatch(/^TORA-/);
    expect(readFileSync(index, "utf8")).toContain(alert!.case_id!);
  });
});
