import { describe, expect, it } from "vitest";
import { ValidationError } from "../../core/index.js";
import { buildActionConnectors, pickConnector } from "./index.js";

const config = (connectors: object[]) => ({ respond: { connectors: connectors as { name: string; kind: string }[] }, connectors: {} });

describe("action connector registry", () => {
  it("always ends with the record-only connector, and picks the first that carries an action out", () => {
    const built = buildActionConnectors(
      config([
        { name: "fw", kind: "webhook", url: "https://fw.example/hook", secret: "${FW_SECRET}", actions: ["block_indicator", "unblock_indicator"] },
        { name: "mde", kind: "defender", tenant_id: "t", client_id: "c", client_secret: "${MDE_SECRET}" },
      ]),
      { FW_SECRET: "0123456789abcdef0123", MDE_SECRET: "x" },
    );
    expect(built.map((c) => c.name)).toEqual(["fw", "mde", "record-only"]);
    expect(pickConnector(built, "block_indicator").name).toBe("fw");
    expect(pickConnector(built, "block_indicator", "mde").name).toBe("mde");
    expect(pickConnector(built, "disable_account").name).toBe("record-only");
    expect(() => pickConnector(built, "disable_account", "fw")).toThrow(ValidationError);
  });

  it("reports every bad entry by path without echoing secrets", () => {
    try {
      buildActionConnectors(config([{ name: "a", kind: "edr9000" }, { name: "b", kind: "webhook", url: "https://x.example", secret: "${SHORT}" }, { name: "c", kind: "entra", tenant_id: "t" }]), { SHORT: "tiny-secret" });
      throw new Error("expected an error");
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const issues = (error as ValidationError).issues;
      expect(issues.map((i) => i.path)).toEqual(["respond.connectors[0].kind", "respond.connectors[1].secret", "respond.connectors[2].client_id", "respond.connectors[2].client_secret"]);
      expect(JSON.stringify(issues)).not.toContain("tiny-secret");
    }
  });
});
