import { describe, expect, it } from "vitest";
import { recordingContext } from "../testing.js";
import { RecordOnlySettings } from "./index.js";
import { testRecordOnly } from "./testing.js";

describe("record-only action connector", () => {
  it("records the action for a human and waits for confirmation; a repeat has no outside effect", async () => {
    const connector = testRecordOnly();
    const call = { actionId: "a1", action: "disable_account" as const, args: { account: "jdoe" }, caseId: null, idempotencyKey: "k", startedAt: "2026-11-24T10:00:00Z", remoteRef: null, rollbackOf: null };
    const result = await connector.execute(call, recordingContext());
    expect(result).toMatchObject({ status: "awaiting_confirmation", remote_ref: null });
    expect(result.detail?.instructions).toContain("nightshift approvals confirm a1");
    expect(await connector.reconcile(call, recordingContext())).toBeNull();
    expect(connector.actions).toContain("quarantine_file");
  });

  it("takes a list of actions and refuses unknown ones", () => {
    expect(RecordOnlySettings.parse({ name: "helpdesk", kind: "record_only", actions: ["reset_credentials"] }).actions).toEqual(["reset_credentials"]);
    expect(RecordOnlySettings.safeParse({ name: "helpdesk", kind: "record_only", actions: ["wipe"] }).success).toBe(false);
  });
});
