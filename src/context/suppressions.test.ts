import { describe, expect, it } from "vitest";
import { makeAlert } from "../crew/testing/fixtures.js";
import { collectObservables } from "./observables.js";
import { suppressionCovers } from "./suppressions.js";

describe("suppressionCovers", () => {
  const base = { id: "S-1", author: "alice", reason: "updater", created_at: "2026-01-01T00:00:00.000Z" };
  const proc = (parent: string | undefined) =>
    makeAlert({ process: { name: "C:\\Users\\j\\OneDriveSetup.exe", command_line: "OneDriveSetup.exe /update", ...(parent ? { parent_name: parent } : {}) } });

  it("scopes by the parent process's base name, case-insensitively; an alert without a parent never matches", () => {
    const s = { ...base, scope: { process_name: "onedrivesetup.exe", parent_name: "ONEDRIVE.EXE" } };
    const covers = (alert: ReturnType<typeof proc>) => suppressionCovers(s, alert, null, collectObservables(alert));
    expect(covers(proc("C:\\Program Files\\OneDrive\\OneDrive.exe"))).toBe(true);
    expect(covers(proc("winword.exe"))).toBe(false);
    expect(covers(proc(undefined))).toBe(false);
  });
});
