import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lastLine, runCli } from "../../../test/support/cli.js";
import { cliEnvironment } from "../../../test/support/environment.js";
import { testStoreKind } from "../../../test/support/store.js";

describe(`nightshift context import-leases / import-inventory (${testStoreKind()})`, () => {
  let cli: Awaited<ReturnType<typeof cliEnvironment>>;
  beforeEach(async () => {
    cli = await cliEnvironment();
  });
  afterEach(async () => {
    await cli.cleanup();
  });

  it("imports an ISC lease file and a device inventory; a bad lease file exits 2 and writes nothing", async () => {
    const home = cli.env.NIGHTSHIFT_HOME!;
    const leases = path.join(home, "dhcpd.leases");
    writeFileSync(leases, 'lease 10.1.1.5 {\n  starts 2 2026/03/10 10:00:00;\n  ends never;\n  client-hostname "laptop-x";\n}\n');
    const ok = await runCli(["context", "import-leases", leases, "--source", "dhcp-a"], cli.env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(lastLine(ok.stdout))).toMatchObject({ leases: 1, source: "dhcp-a" });

    const inventory = path.join(home, "devices.json");
    writeFileSync(inventory, JSON.stringify([{ hostname: "laptop-x", ips: [{ ip: "10.1.1.5" }], edr_present: true }]));
    const inv = await runCli(["context", "import-inventory", inventory, "--source", "defender"], cli.env);
    expect(inv.code).toBe(0);
    expect(JSON.parse(lastLine(inv.stdout))).toMatchObject({ source: "defender", created: 1, updated: 0 });

    const bad = path.join(home, "bad.csv");
    writeFileSync(bad, "ip,hostname,starts\n10.1.1.6,y,2026-03-10T10:00:00Z\nnot-an-ip,z,2026-03-10T10:00:00Z\n");
    const failed = await runCli(["context", "import-leases", bad, "--source", "dhcp-b"], cli.env);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain("row 3.ip");
    const again = await runCli(["context", "import-leases", leases, "--source", "dhcp-a"], cli.env);
    expect(JSON.parse(lastLine(again.stdout))).toMatchObject({ leases: 1 });
  });
});
