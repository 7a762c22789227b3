import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../core/errors.js";
import { createDetector, normaliseEvent } from "../engine.js";
import { buildZip } from "../readers/test-zip.js";
import { BUILTIN_RULES_DIR, detectorSources, PINNED_SIGMA_RELEASE, readInstalledRules, updateSigmaRules } from "./index.js";

const RULE = `title: Upstream Test Rule
id: 5b0c7d8e-2f41-4a6b-9c3d-8e7f6a5b4c3d
author: Upstream Author
tags: [attack.execution, attack.t1059]
logsource: {product: windows, category: process_creation}
detection:
  selection: {CommandLine|contains: upstream-marker}
  condition: selection
level: high
`;
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");
const packageZip = (extra: { name: string; data: string }[] = []) =>
  buildZip([
    { name: "rules/windows/process_creation/proc_upstream.yml", data: RULE },
    { name: "LICENSE.Detection.Rules.md", data: "Detection Rule License 1.1" },
    { name: "images/logo.png", data: "not a rule" },
    ...extra,
  ]);

let home: string;
let server: Server;
let served: Buffer = Buffer.alloc(0);
let status = 200;
let base = "";

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "ns-rules-update-"));
  status = 200;
  server = createServer((_request, response) => {
    response.writeHead(status, { "content-type": "application/zip" });
    response.end(status === 200 ? served : "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(home, { recursive: true, force: true });
});

const leftovers = async () => (await readdir(home)).filter((name) => name.startsWith(".rules-"));

describe("rules update", () => {
  it("downloads, verifies, unpacks and records a release; detect runs the installed rules from then on", async () => {
    served = packageZip();
    const record = await updateSigmaRules({ home, url: `${base}/download/r2026-08-01/sigma_all_rules.zip`, sha256: sha256(served), now: new Date("2026-12-07T00:00:00Z") });
    expect(record).toMatchObject({ version: "r2026-08-01", sha256: sha256(served), files: 1, license: "LICENSE.Detection.Rules.md", installed_at: "2026-12-07T00:00:00.000Z" });
    expect(await readInstalledRules(home)).toEqual(record);
    expect(existsSync(join(home, "rules", "images", "logo.png"))).toBe(false);

    const sources = detectorSources({ rules: [], builtin_rules: true, placeholders: {}, logsources: [] }, { home });
    expect(sources.ruleDirs).toEqual([BUILTIN_RULES_DIR, join(home, "rules")]);
    const detector = await createDetector(sources);
    const alerts = detector.process(normaliseEvent({ Channel: "Microsoft-Windows-Sysmon/Operational", EventID: 1, Image: "C:\\x.exe", CommandLine: "x upstream-marker" }), { file: "f", record: 1 });
    expect(alerts.map((a) => [a.rule.title, a.rule.author])).toEqual([["Upstream Test Rule", "Upstream Author"]]);
    expect(await leftovers()).toEqual([]);
  });

  it("refuses a package whose checksum differs and leaves the installed rules as they were", async () => {
    served = packageZip();
    await updateSigmaRules({ home, url: `${base}/a.zip`, sha256: sha256(served) });
    const before = await readInstalledRules(home);
    served = packageZip([{ name: "rules/extra.yml", data: RULE.replace("5b0c", "6b0c") }]);
    await expect(updateSigmaRules({ home, url: `${base}/a.zip`, sha256: "0".repeat(64) })).rejects.toThrow(/checksum mismatch.*nothing installed/);
    expect(await readInstalledRules(home)).toEqual(before);
    expect(existsSync(join(home, "rules", "extra.yml"))).toBe(false);
    expect(await leftovers()).toEqual([]);
  });

  it("refuses entries that would land outside the rules folder (zip slip)", async () => {
    for (const name of ["../escaped.yml", "rules/../../escaped.yml", "/tmp/escaped.yml", "C:/escaped.yml", "rules\\..\\..\\escaped.yml"]) {
      served = packageZip([{ name, data: RULE }]);
      await expect(updateSigmaRules({ home, url: `${base}/a.zip`, sha256: sha256(served) }), name).rejects.toThrow();
      expect(existsSync(join(home, "..", "escaped.yml"))).toBe(false);
      expect(existsSync(join(home, "rules"))).toBe(false);
    }
    expect(await leftovers()).toEqual([]);
  });

  it("caps the download, the file count and the unpacked sizes", async () => {
    served = packageZip([{ name: "rules/big.yml", data: `# ${"x".repeat(5000)}\n${RULE}` }]);
    const url = `${base}/a.zip`;
    await expect(updateSigmaRules({ home, url, sha256: sha256(served), limits: { maxDownloadBytes: 100 } })).rejects.toThrow(/limit/);
    await expect(updateSigmaRules({ home, url, sha256: sha256(served), limits: { maxFileBytes: 1000 } })).rejects.toThrow(/big\.yml is over/);
    await expect(updateSigmaRules({ home, url, sha256: sha256(served), limits: { maxFiles: 1 } })).rejects.toThrow(/more than 1 files/);
    await expect(updateSigmaRules({ home, url, sha256: sha256(served), limits: { maxTotalBytes: 2000 } })).rejects.toThrow(/unpacks to more/);
    expect(await readInstalledRules(home)).toBeUndefined();
    expect(await leftovers()).toEqual([]);
  });

  it("installs the pinned release by default and refuses a URL without a checksum, a bad checksum or an HTTP error", async () => {
    let asked = "";
    const fetchImpl = (async (url: string | URL | Request) => {
      asked = String(url);
      return new Response(Buffer.from("not the release"));
    }) as typeof fetch;
    await expect(updateSigmaRules({ home, fetchImpl })).rejects.toThrow(new RegExp(`expected sha256 ${PINNED_SIGMA_RELEASE.sha256}`));
    expect(asked).toBe(PINNED_SIGMA_RELEASE.url);
    await expect(updateSigmaRules({ home, url: `${base}/a.zip` })).rejects.toBeInstanceOf(ValidationError);
    await expect(updateSigmaRules({ home, url: `${base}/a.zip`, sha256: "abc" })).rejects.toBeInstanceOf(ValidationError);
    await expect(updateSigmaRules({ home, url: "file:///etc/passwd", sha256: "0".repeat(64) })).rejects.toBeInstanceOf(ValidationError);
    status = 404;
    await expect(updateSigmaRules({ home, url: `${base}/missing.zip`, sha256: "0".repeat(64) })).rejects.toThrow(/HTTP 404/);
    served = Buffer.from("not a zip");
    status = 200;
    await expect(updateSigmaRules({ home, url: `${base}/a.zip`, sha256: sha256(served) })).rejects.toThrow(/not a readable zip/);
    expect(await readInstalledRules(home)).toBeUndefined();
  });

  it("reads no installation from a missing or corrupt record", async () => {
    expect(await readInstalledRules(home)).toBeUndefined();
    served = packageZip();
    await updateSigmaRules({ home, url: `${base}/a.zip`, sha256: sha256(served) });
    expect(JSON.parse(await readFile(join(home, "rules", ".nightshift-sigma.json"), "utf8")).version).toBe("custom");
  });
});
