import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/index.js";
import { fixedClock } from "../src/core/index.js";
import { attachAlert } from "../src/cases/index.js";
import { storedAlert } from "../src/cases/test-alerts.js";
import { DEFAULT_POLICY, DEFAULT_POLICY_TEXT, requestAction } from "../src/respond/index.js";
import { openStore } from "../src/store/index.js";
import { cliEnvironment } from "./support/environment.js";
import { lastLine, runCli } from "./support/cli.js";
import { testStoreKind } from "./support/store.js";

describe(`nightshift policy / approvals (${testStoreKind()})`, () => {
  let environment: Awaited<ReturnType<typeof cliEnvironment>>;
  let home: string;
  beforeEach(async () => {
    environment = await cliEnvironment();
    home = environment.env.NIGHTSHIFT_HOME!;
  });
  afterEach(async () => environment.cleanup());

  it("policy check explains a verdict and names bad keys by path", async () => {
    const file = path.join(home, "policy.yaml");
    writeFileSync(file, DEFAULT_POLICY_TEXT);
    const check = await runCli(["policy", "check", file, "--action", "isolate_host", "--criticality", "critical", "--confidence", "90", "--at", "2026-11-24T03:30:00Z"], environment.env);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`policy ${file}: valid (4 rules, default needs_approval, timezone UTC)`);
    expect(check.stdout).toMatch(/isolate_host\s+needs_two_approvals\s+rule disruptive-critical/);
    expect(check.stdout).toContain("do-not-touch: do_not_touch is false");
    expect(lastLine(check.stdout)).toMatch(/^needs_two_approvals: rule "disruptive-critical" matched/);
    writeFileSync(file, "rules:\n  - name: a\n    when: {severity: [high]}\n    decision: auto\n");
    const bad = await runCli(["policy", "check", file], environment.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("rules.0.when.severity: unknown key");
  });

  it("approvals list, approve with a token, run through record-only, confirm", async () => {
    const clock = fixedClock(new Date().toISOString());
    const store = await openStore(loadConfig(environment.env));
    let id: string;
    try {
      const alert = await storedAlert(store.db, { host: "ws-042" });
      const caseId = (await attachAlert(store.db, alert, { windowMinutes: 60 }, clock)).caseId;
      id = (await requestAction(store.db, { case_id: caseId, action: "disable_account", args: { account: "jdoe" }, requested_by: { kind: "agent", name: "ARIA" }, rationale: "credential theft" }, { policy: DEFAULT_POLICY, clock })).id;
    } finally {
      await store.close();
    }
    const token = lastLine((await runCli(["token", "create", "--role", "analyst", "--name", "alice"], environment.env)).stdout);
    const badStatus = await runCli(["approvals", "list", "--status", "pending"], environment.env);
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toContain('--status: "pending" is not a status');
    const listed = await runCli(["approvals", "list"], environment.env);
    expect(listed.stdout).toContain(`${id}  pending_approval`);
    expect(listed.stdout).toContain("approvals 0/1");
    const anonymous = await runCli(["approvals", "approve", id], environment.env);
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr).toContain("--token");
    const approved = await runCli(["approvals", "approve", id, "--note", "go"], { ...environment.env, NIGHTSHIFT_TOKEN: token });
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`${id}  approved`);
    const run = await runCli(["approvals", "run", id, "--json"], { ...environment.env, NIGHTSHIFT_TOKEN: token });
    expect(JSON.parse(run.stdout)).toMatchObject({ status: "awaiting_confirmation", connector: "record-only" });
    const confirmed = await runCli(["approvals", "confirm", id, "--note", "disabled in AD"], { ...environment.env, NIGHTSHIFT_TOKEN: token });
    expect(confirmed.stdout).toContain(`${id}  executed`);
  });
});
