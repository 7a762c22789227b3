import { z } from "zod";
import { getIdentityRecord } from "../../context/index.js";
import { READERS, defineTool } from "./define.js";
import { ToolError } from "./tool.js";

export const getIdentityTool = defineTool({
  name: "get_identity",
  description:
    "The directory identity of a user (DOMAIN\\user, user@domain or user): user type (human/service account), privilege level, " +
    "MFA, risk score, anomalies seen by the identity provider, groups, manager, disabled; with when and where it was recorded.",
  input: z.object({ username: z.string().trim().min(1).max(255).describe("User name in any form") }),
  writes: false,
  agents: READERS,
  async run({ username }, ctx) {
    const record = await getIdentityRecord(ctx.db, username);
    if (!record) throw new ToolError("not_found", `no identity record for ${username}`);
    return { identity: record.identity, updated_at: record.updated_at, source: record.source };
  },
});
