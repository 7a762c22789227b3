import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError, fixedClock } from "../../core/index.js";
import { openTestEnvironment, type TestEnvironment } from "../../../test/support/store.js";
import { contextCounts, enrichAlert, importIntelFile, listIndicators, loadContext } from "../index.js";
import { writeIntel } from "./index.js";
import { buildAlert } from "../testing.js";
import { parseStixPattern } from "./stix-pattern.js";
import { parseStixBundle } from "./stix.js";

const T = "2026-03-11T12:00:00.000Z";
const id = (n: number) => `indicator--00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

function bundle(objects: object[]) {
  return { type: "bundle", id: "bundle--00000000-0000-4000-8000-000000000000", objects };
}
function stixIndicator(n: number, pattern: string, extra: object = {}) {
  return { type: "indicator", spec_version: "2.1", id: id(n), created: "2026-01-01T00:00:00Z", modified: "2026-03-01T00:00:00Z", pattern, pattern_type: "stix", valid_from: "2026-01-01T00:00:00Z", ...extra };
}

describe("intel import and matching", () => {
  let env: TestEnvironment;
  let dir: string;
  beforeEach(async () => {
    env = await openTestEnvironment();
    dir = mkdtempSync(path.join(tmpdir(), "intel-"));
  });
  afterEach(async () => {
    await env.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, content: unknown) => {
    const file = path.join(dir, name);
    writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
    return file;
  };
  const enrich = (alert: Parameters<typeof enrichAlert>[1]) =>
    enrichAlert(env.store.db, alert, { historyWindowHours: 24, suppressionMaxAgeDays: 90, clock: fixedClock(T) });

  it("imports STIX indicators: OR-ed values, CIDR, hashes, e-mail; revoked and unsupported parts reported", async () => {
    const file = write(
      "stix.json",
      bundle([
        stixIndicator(1, "[ipv4-addr:value = '198.51.100.0/24'] OR [domain-name:value = 'Evil.example']", {
          valid_until: "2026-06-01T00:00:00Z",
          labels: ["c2"],
          confidence: 80,
          indicator_types: ["malicious-activity"],
        }),
        stixIndicator(2, "[file:hashes.'SHA-256' = '" + "b".repeat(64) + "' OR file:hashes.MD5 = '" + "c".repeat(32) + "']"),
        stixIndicator(3, "[email-addr:value = 'boss@phish.example'] OR [process:name = 'evil.exe']"),
        stixIndicator(4, "[url:value = 'http://x.example/a'] AND [ipv6-addr:value = '2001:db8::1']"),
        stixIndicator(5, "[ipv6-addr:value = '2001:DB8:0::5']", { revoked: true }),
        stixIndicator(6, "[ipv4-addr:value = '203.0.113.9']", { pattern_type: "sigma" }),
        { type: "malware", id: "malware--00000000-0000-4000-8000-000000000001", name: "AsyncRAT", is_family: true },
        { type: "relationship", id: "relationship--00000000-0000-4000-8000-000000000001", relationship_type: "indicates", source_ref: id(1), target_ref: "malware--00000000-0000-4000-8000-000000000001" },
      ]),
    );
    const result = await importIntelFile(env.store.db, file, { clock: fixedClock(T) });
    expect(result).toMatchObject({ feed: "stix", format: "stix", indicators: 5, inserted: 5 });
    expect(result.skipped.map((s) => s.path)).toEqual(["objects[2].pattern", "objects[3].pattern", "objects[4]", "objects[5].pattern_type"]);
    expect(result.skipped[0]!.reason).toContain("process:name");
    const stored = await listIndicators(env.store.db);
    expect(stored.map((i) => [i.type, i.value]).sort()).toEqual(
      [["domain", "Evil.example"], ["email", "boss@phish.example"], ["file_hash", "b".repeat(64)], ["file_hash", "c".repeat(32)], ["ip", "198.51.100.0/24"]].sort(),
    );
    const network = stored.find((i) => i.type === "ip")!;
    expect(network).toMatchObject({ first_seen: "2026-01-01T00:00:00.000Z", last_seen: "2026-03-01T00:00:00.000Z", expires_at: "2026-06-01T00:00:00.000Z", confidence: 80, tags: ["c2"], associated_malware: "AsyncRAT", sources: ["stix"] });

    const e = await enrich(buildAlert({ dst: { ip: "198.51.100.77", domain: "login.evil.example" } }));
    expect(e.threat_intel.matches.map((m) => [m.indicator, m.matched_value, m.match, m.feed])).toEqual([
      ["198.51.100.0/24", "198.51.100.77", "cidr", "stix"],
      ["Evil.example", "login.evil.example", "parent_domain", "stix"],
    ]);
    expect(e.threat_intel.matches[0]!.ioc_age_days).toBe(10.5);
    expect(e.meta.provenance).toContainEqual(expect.objectContaining({ axis: "threat_intel", source: "intel:stix", as_of: T }));
    const outside = await enrich(buildAlert({ dst: { ip: "198.51.101.1" } }));
    expect(outside.threat_intel.matches).toEqual([]);
  });

  it("rejects a bad STIX bundle by path and writes nothing", async () => {
    const file = write(
      "bad.json",
      bundle([stixIndicator(1, "[ipv4-addr:value = '192.0.2.1']"), stixIndicator(2, "[ipv4-addr:value = '192.0.2.'"), stixIndicator(3, "[ipv4-addr:value = 'not-an-ip']")]),
    );
    const error = await importIntelFile(env.store.db, file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(["objects[1].pattern", "objects[2].pattern.value"]);
    expect((await contextCounts(env.store.db)).indicators).toBe(0);
    expect(() => parseStixPattern("[ipv4-addr:value = '1.2.3.4'] WITHIN")).toThrow(/at the end|expected/);
    expect(parseStixBundle({ type: "bundle", objects: [{ type: "indicator", id: id(1), pattern: "[x:y = 'z']", pattern_type: "stix" }] }).issues[0]!.path).toBe("objects[0].valid_from");
  });

  it("imports a MISP feed folder: to_ids attributes of events and objects, composite types split", async () => {
    const feed = path.join(dir, "circl");
    mkdirSync(feed);
    const uuid = "5f3c0000-0000-4000-8000-000000000001";
    writeFileSync(path.join(feed, "manifest.json"), JSON.stringify({ [uuid]: { info: "Phishing wave", timestamp: "1767225600" } }));
    writeFileSync(
      path.join(feed, `${uuid}.json`),
      JSON.stringify({
        Event: {
          uuid,
          info: "Phishing wave",
          date: "2026-01-05",
          Tag: [{ name: "tlp:white" }],
          Attribute: [
            { type: "ip-dst", value: "203.0.113.50", to_ids: true, timestamp: "1772323200", category: "Network activity" },
            { type: "domain|ip", value: "bad.example|203.0.113.51", to_ids: true, timestamp: "1772323200" },
            { type: "ip-src", value: "203.0.113.52", to_ids: false, timestamp: "1772323200" },
            { type: "filename", value: "invoice.exe", to_ids: true },
          ],
          Object: [{ name: "file", Attribute: [{ type: "sha256", value: "d".repeat(64), to_ids: true, timestamp: "1772323200" }] }],
        },
      }),
    );
    const result = await importIntelFile(env.store.db, feed, { clock: fixedClock(T) });
    expect(result).toMatchObject({ feed: "circl", format: "misp", indicators: 4 });
    expect(result.skipped.map((s) => s.reason)).toEqual(["to_ids is false", 'attribute type "filename" is not matched']);
    const stored = await listIndicators(env.store.db);
    expect(stored.find((i) => i.value === "203.0.113.50")).toMatchObject({ category: "Network activity", first_seen: "2026-01-05T00:00:00.000Z", last_seen: "2026-03-01T00:00:00.000Z", tags: ["tlp:white"] });
    expect(stored.map((i) => i.value).sort()).toEqual(["203.0.113.50", "203.0.113.51", "bad.example", "d".repeat(64)]);

    writeFileSync(path.join(feed, "manifest.json"), JSON.stringify({ "not-a-uuid": {} }));
    await expect(importIntelFile(env.store.db, feed)).rejects.toThrow(/not an event uuid/);
  });

  it("imports MISP CSV and plain lists, with line-numbered errors", async () => {
    const csv = write("misp.csv", "uuid,event_id,category,type,value,comment,to_ids,date\nu1,1,Network activity,ip-dst,192.0.2.10,,1,1772323200\nu2,1,Network activity,url,https://bad.example/x,,0,1772323200\n");
    expect(await importIntelFile(env.store.db, csv)).toMatchObject({ format: "misp-csv", indicators: 1 });
    const list = write("blocklist.txt", "# a feed\n192.0.2.0/28\nevil.example  # trailing comment\n\nhttps://evil.example/login\n" + "e".repeat(40) + "\n2001:db8::/48\n");
    expect(await importIntelFile(env.store.db, list)).toMatchObject({ feed: "blocklist", format: "list", indicators: 5 });
    const types = (await listIndicators(env.store.db)).filter((i) => i.feed === "blocklist").map((i) => `${i.type}:${i.value}`).sort();
    expect(types).toEqual(["domain:evil.example", `file_hash:${"e".repeat(40)}`, "ip:192.0.2.0/28", "ip:2001:db8::/48", "url:https://evil.example/login"]);
    const v6 = await enrich(buildAlert({ src: { ip: "2001:DB8:0:0::abcd" } }));
    expect(v6.threat_intel.matches.map((m) => [m.indicator, m.match])).toEqual([["2001:db8::/48", "cidr"]]);

    const bad = write("bad.txt", "192.0.2.1\nnot a value\n999.1.1.1/8\n");
    const error = (await importIntelFile(env.store.db, bad).catch((e: unknown) => e)) as ValidationError;
    expect(error.issues.map((i) => i.path)).toEqual(["line 2", "line 3"]);
    expect((await listIndicators(env.store.db)).some((i) => i.feed === "bad")).toBe(false);
  });

  it("counts agreeing feeds once each, re-imports idempotently, and stops matching expired indicators", async () => {
    const a = write("feed-a.txt", "203.0.113.7\nsame.example\n");
    const b = write("feed-b.txt", "203.0.113.7\n");
    await importIntelFile(env.store.db, a, { clock: fixedClock("2026-03-01T00:00:00Z") });
    await importIntelFile(env.store.db, b, { clock: fixedClock("2026-03-01T00:00:00Z") });
    const again = await importIntelFile(env.store.db, b, { clock: fixedClock("2026-03-02T00:00:00Z") });
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 1 });
    expect((await contextCounts(env.store.db)).indicators).toBe(2);
    const e = await enrich(buildAlert({ dst: { ip: "203.0.113.7" } }));
    expect(e.threat_intel.matches).toHaveLength(1);
    expect(e.threat_intel.matches[0]).toMatchObject({ source_count: 2, source_total: 2, sources: ["feed-a", "feed-b"], match: "exact" });

    const expiring = write("expiring.json", bundle([stixIndicator(1, "[domain-name:value = 'gone.example']", { valid_until: "2026-03-01T00:00:00Z" })]));
    await importIntelFile(env.store.db, expiring);
    expect((await enrich(buildAlert({ dst: { domain: "gone.example" } }))).threat_intel.verdict).toBe("unknown");
    expect((await enrich(buildAlert({ time: "2026-02-01T00:00:00.000Z", dst: { domain: "gone.example" } }))).threat_intel.verdict).toBe("malicious");
  });

  it("writes a feed over many batches: merges, leaves unchanged rows alone, keeps odd characters, all or nothing", async () => {
    const indicator = (n: number, feed: string, tags: string[] = []) => ({
      type: n % 2 ? ("domain" as const) : ("ip" as const),
      value: n % 2 ? `h${n}.bad.example` : `198.51.100.${n}`,
      verdict: "malicious" as const,
      source_count: 1,
      source_total: 1,
      feed,
      ...(tags.length ? { tags } : {}),
    });
    const odd = ['say "hi"', "back\\slash", "ünïcødé ☃", "comma,brace}"];
    const first = Array.from({ length: 20 }, (_, n) => indicator(n, "a", n === 3 ? odd : []));
    const write = (list: ReturnType<typeof indicator>[], now: string) =>
      env.store.db.transaction().execute((trx) => writeIntel(trx, list, now, { pgBatchRows: 3 }));
    expect(await write(first, "2026-03-01T00:00:00.000Z")).toEqual({ inserted: 20, updated: 0, unchanged: 0 });
    // Same feed again plus a second feed on half the values and five new ones.
    expect(await write(first, "2026-03-02T00:00:00.000Z")).toEqual({ inserted: 0, updated: 0, unchanged: 20 });
    const second = Array.from({ length: 15 }, (_, n) => indicator(n + 10, "b"));
    expect(await write(second, "2026-03-03T00:00:00.000Z")).toEqual({ inserted: 5, updated: 10, unchanged: 0 });
    const stored = await listIndicators(env.store.db);
    expect(stored).toHaveLength(25);
    expect(stored.find((i) => i.value === "h3.bad.example")?.tags).toEqual(odd);
    expect(stored.find((i) => i.value === "198.51.100.12")).toMatchObject({ source_count: 2, sources: ["a", "b"] });
    const untouched = await env.store.db.selectFrom("indicators").select("updated_at").where("value", "=", "198.51.100.2").executeTakeFirstOrThrow();
    expect(untouched.updated_at).toBe("2026-03-01T00:00:00.000Z");

    // A failure after some batches were written leaves nothing of the import.
    const before = await listIndicators(env.store.db);
    const failing = env.store.db.transaction().execute(async (trx) => {
      await writeIntel(trx, Array.from({ length: 12 }, (_, n) => indicator(n + 100, "c")), "2026-03-04T00:00:00.000Z", { pgBatchRows: 3 });
      throw new Error("crash after the write");
    });
    await expect(failing).rejects.toThrow(/crash after the write/);
    expect(await listIndicators(env.store.db)).toEqual(before);
  });

  it("merges with an indicator from a context file", async () => {
    await loadContext(env.store.db, { indicators: [{ type: "ip", value: "203.0.113.7", source_count: 42, source_total: 60, feed: "vt" }] });
    await importIntelFile(env.store.db, write("feed-a.txt", "203.0.113.7\n"));
    const [stored] = await listIndicators(env.store.db);
    expect(stored).toMatchObject({ source_count: 43, source_total: 61, sources: ["feed-a", "vt"] });
  });
});
