import { describe, expect, it } from "vitest";
import { TACTICS, normaliseTactics, tacticIds, tacticOf } from "./attack.js";

describe("ATT&CK tactics table", () => {
  it("has the fourteen Enterprise tactics, each id and short name once", () => {
    expect(TACTICS).toHaveLength(14);
    expect(new Set(TACTICS.map((t) => t.id)).size).toBe(14);
    expect(new Set(TACTICS.map((t) => t.shortname)).size).toBe(14);
  });

  it("reads every spelling the sources use", () => {
    for (const text of ["command-and-control", "Command And Control", "Command and Control", "COMMAND_AND_CONTROL", "attack.command_and_control", "TA0011", "ta0011", " command and  control "])
      expect(tacticOf(text), text).toEqual({ id: "TA0011", name: "Command and Control", shortname: "command-and-control" });
    expect(tacticOf("defense-evasion")?.id).toBe("TA0005");
    expect(tacticOf("attack.t1059")).toBeUndefined();
    expect(tacticOf("Command")).toBeUndefined();
  });

  it("normalises a list: canonical names once, ids beside, unknown kept as given", () => {
    expect(normaliseTactics(["execution", "Execution", "  ", "Odd One ", "TA0002", "impact"])).toEqual({ tactics: ["Execution", "Odd One", "Impact"], tactic_ids: ["TA0002", "TA0040"] });
    expect(tacticIds(["credential-access", "whatever"])).toEqual(["TA0006"]);
  });
});
