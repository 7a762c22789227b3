import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sigmaRulesHint } from "./rules-update.js";

let home: string;
let written: string[];
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "ns-hint-"));
  written = [];
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(home, { recursive: true, force: true });
});

describe("the first-run hint", () => {
  it("points to `rules update` when no SigmaHQ rules are installed or configured", () => {
    sigmaRulesHint(home, []);
    expect(written.join("")).toMatch(/no SigmaHQ rules configured.*nightshift rules update/);
  });

  it("stays quiet with configured folders, --rules, or an installation", async () => {
    sigmaRulesHint(home, ["/etc/rules"]);
    sigmaRulesHint(home, [], ["./mine"]);
    await mkdir(join(home, "rules"));
    await writeFile(join(home, "rules", ".nightshift-sigma.json"), "{}");
    sigmaRulesHint(home, []);
    expect(written).toEqual([]);
  });
});
