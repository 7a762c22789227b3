import { describe, expect, it } from "vitest";
import { ValidationError } from "../../core/index.js";
import { ACTIONS, ACTION_NAMES, parseAction, rollbackArgs } from "./index.js";

function issues(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error("expected a ValidationError");
}

describe("action catalogue", () => {
  it("pairs every rollback both ways and marks what is disruptive", () => {
    expect(ACTIONS.isolate_host.rollback).toBe("release_host");
    expect(ACTIONS.release_host.rollback).toBe("isolate_host");
    expect(ACTIONS.disable_account.rollback).toBe("enable_account");
    expect(ACTIONS.enable_account.rollback).toBe("disable_account");
    expect(ACTIONS.block_indicator.rollback).toBe("unblock_indicator");
    expect(ACTIONS.unblock_indicator.rollback).toBe("block_indicator");
    for (const name of ["run_av_scan", "collect_investigation_package", "revoke_sessions", "reset_credentials", "quarantine_file"] as const) expect(ACTIONS[name].rollback).toBeNull();
    expect(ACTION_NAMES.filter((n) => ACTIONS[n].disruptive).sort()).toEqual(
      ["block_indicator", "disable_account", "isolate_host", "quarantine_file", "reset_credentials", "revoke_sessions"].sort(),
    );
  });

  it("normalises arguments and fills defaults", () => {
    expect(parseAction("isolate_host", { host: " ws-042 " })).toEqual({ action: "isolate_host", args: { host: "ws-042", isolation_type: "full" } });
    expect(parseAction("quarantine_file", { host: "ws-1", sha1: "A".repeat(40) }).args.sha1).toBe("a".repeat(40));
  });

  it("names the bad field and refuses unknown arguments", () => {
    expect(issues(() => parseAction("isolate", {}))[0]!.path).toBe("action");
    expect(issues(() => parseAction("isolate_host", { host: "ws-1", force: true }))[0]!.message).toMatch(/force/);
    expect(issues(() => parseAction("isolate_host", { host: "../../machines" }))[0]!.path).toBe("args.host");
    expect(issues(() => parseAction("disable_account", { account: "a/b" }))[0]!.path).toBe("args.account");
  });

  it("never blocks the organisation's own address space nor a malformed indicator", () => {
    expect(issues(() => parseAction("block_indicator", { type: "ip", value: "10.1.2.3" }))[0]).toEqual({ path: "args.value", message: expect.stringMatching(/private/) });
    expect(issues(() => parseAction("block_indicator", { type: "ip", value: "127.0.0.1" }))[0]!.path).toBe("args.value");
    expect(issues(() => parseAction("block_indicator", { type: "sha256", value: "abc" }))[0]!.message).toMatch(/SHA256/);
    expect(issues(() => parseAction("block_indicator", { type: "url", value: "javascript:alert(1)" }))[0]!.message).toMatch(/http/);
    expect(parseAction("block_indicator", { type: "ip", value: "203.0.113.9" }).args).toEqual({ type: "ip", value: "203.0.113.9" });
  });

  it("derives rollback arguments from the original's", () => {
    expect(rollbackArgs("block_indicator", { type: "domain", value: "evil.example", expires_at: "2026-12-01T00:00:00Z" })).toEqual({
      action: "unblock_indicator",
      args: { type: "domain", value: "evil.example" },
    });
    expect(rollbackArgs("isolate_host", { host: "ws-1", isolation_type: "full" })).toEqual({ action: "release_host", args: { host: "ws-1" } });
    expect(rollbackArgs("run_av_scan", { host: "ws-1" })).toBeNull();
  });
});
