import { describe, expect, it } from "vitest";
import { currentTechniques, namesTechnique, techniqueAliases, techniqueId } from "./attack-ids.js";
import { attackOf } from "./sigma/index.js";

describe("ATT&CK technique ids across versions", () => {
  it("gives the current id of a revoked or renumbered technique, and keeps current ones", () => {
    expect(currentTechniques("T1086")).toEqual(["T1059.001"]);
    expect(currentTechniques("t1085")).toEqual(["T1218.011"]);
    expect(currentTechniques("T1175")).toEqual(["T1021.003", "T1559.001"]);
    expect(currentTechniques("T1059.001")).toEqual(["T1059.001"]);
  });

  it("knows the old ids a current technique replaced", () => {
    expect(techniqueAliases("T1543.003").sort()).toEqual(["T1031", "T1050", "T1543.003"]);
    expect(techniqueAliases("T1086").sort()).toEqual(["T1059.001", "T1086"]);
  });

  it("normalises and refuses non-ids", () => {
    expect(techniqueId(" t1110 ")).toBe("T1110");
    expect(techniqueId("TA0005")).toBeUndefined();
    expect(techniqueId("T1003.1")).toBeUndefined();
  });

  it("matches a label from either version, its parent or its sub-techniques, never a sibling", () => {
    expect(namesTechnique("T1086", ["T1059.001"])).toBe(true);
    expect(namesTechnique("T1059.001", ["T1086"])).toBe(true);
    expect(namesTechnique("T1059.001", ["T1059"])).toBe(true); // the parent
    expect(namesTechnique("T1059.001", ["T1064"])).toBe(true); // the parent under its old id
    expect(namesTechnique("T1003", ["T1003.006"])).toBe(true); // a sub-technique of the label
    expect(namesTechnique("T1003.001", ["T1003.006"])).toBe(false); // a sibling
    expect(namesTechnique("T1550.002", ["T1075"])).toBe(true);
    expect(namesTechnique("T1021.003", ["T1175"])).toBe(true);
    expect(namesTechnique("T1110", ["T1021"])).toBe(false);
  });

  it("gives rule tags with an old id as the current technique", () => {
    expect(attackOf(["attack.execution", "attack.t1086", "attack.t1059.001", "attack.t1050"]).techniques).toEqual(["T1059.001", "T1543.003"]);
  });
});
