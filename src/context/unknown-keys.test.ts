import { describe, expect, it } from "vitest";
import { ValidationError } from "../core/index.js";
import { validateContext } from "./load.js";
import { droppedKeys } from "./unknown-keys.js";

function issuesOf(data: unknown): { path: string; message: string }[] {
  try {
    validateContext(data);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  return [];
}

describe("unknown keys in context records", () => {
  it("is an error in a suppression's scope, instead of a silently wider suppression", () => {
    const suppression = { id: "S-1", author: "ana", reason: "updater", created_at: "2026-03-01T00:00:00Z", scope: { rule_id: "r-1", parent_nme: "onedrive.exe" } };
    expect(issuesOf({ suppressions: [suppression] })).toEqual([{ path: "suppressions[0].scope.parent_nme", message: "unknown key" }]);
  });

  it("is an error in an asset or identity record, with its path", () => {
    const asset = { hostname: "ws-1", ips: ["10.1.2.42"], criticality: "low", environment: "corporate", crown_jewel_adjacent: false, owner: "it", network_segment: "office", patch_level: "2026-02", edr_present: true, edr_presnt: false };
    const identity = { username: "ana", user_type: "human", privilege_level: "standard", do_not_tuch: true };
    const paths = issuesOf({ assets: [asset], identities: [identity] }).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["assets[0].edr_presnt", "identities[0].do_not_tuch"]));
  });

  it("accepts records that use only known keys", () => {
    const suppression = { id: "S-1", author: "ana", reason: "updater", created_at: "2026-03-01T00:00:00Z", scope: { rule_id: "r-1", parent_name: "onedrive.exe" } };
    expect(issuesOf({ suppressions: [suppression] })).toEqual([]);
  });

  it("finds keys parsing dropped, in nested objects and arrays, and ignores keys a default added", () => {
    expect(droppedKeys({ a: 1, b: { c: 2, d: 3 }, e: [{ f: 1, g: 2 }] }, { a: 1, b: { c: 2 }, e: [{ f: 1 }], h: true })).toEqual([["b", "d"], ["e", 0, "g"]]);
  });
});
