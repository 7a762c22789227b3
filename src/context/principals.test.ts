import { describe, expect, it } from "vitest";
import { builtinPrincipal } from "./principals.js";

describe("builtinPrincipal", () => {
  it.each([
    [{ name: "SYSTEM", domain: "NT AUTHORITY" }, "NT AUTHORITY\\SYSTEM"],
    [{ name: "NT AUTHORITY\\SYSTEM" }, "NT AUTHORITY\\SYSTEM"],
    [{ name: "nt authority\\local service" }, "NT AUTHORITY\\LOCAL SERVICE"],
    [{ name: "NETWORK SERVICE" }, "NT AUTHORITY\\NETWORK SERVICE"],
    [{ name: "LocalSystem" }, "NT AUTHORITY\\SYSTEM"],
    [{ name: "S-1-5-20" }, "NT AUTHORITY\\NETWORK SERVICE"],
    [{ name: "ANONYMOUS LOGON", domain: "NT AUTHORITY" }, "NT AUTHORITY\\ANONYMOUS LOGON"],
  ])("recognises %j", (user, expected) => {
    expect(builtinPrincipal(user)).toBe(expected);
  });

  it.each([[{ name: "CORP\\system" }], [{ name: "system", domain: "CORP" }], [{ name: "jdoe" }], [{ name: "svc-backup", domain: "NWL" }]])(
    "leaves directory accounts alone: %j",
    (user) => {
      expect(builtinPrincipal(user)).toBeNull();
    },
  );

  it("needs a user", () => {
    expect(builtinPrincipal(null)).toBeNull();
  });
});
