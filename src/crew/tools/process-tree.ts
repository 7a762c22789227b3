import { z } from "zod";
import { processTree } from "../../events/index.js";
import { INVESTIGATORS, defineTool } from "./define.js";
import { ToolError } from "./tool.js";

export const processTreeTool = defineTool({
  name: "process_tree",
  description:
    "The process tree around one process on a host, from its oldest known ancestor down (process-creation events linked by guid, " +
    "else by pid and time). Give process_guid, or process_id with the time it was seen.",
  input: z
    .object({
      host: z.string().trim().min(1).max(255).describe("Host name"),
      process_guid: z.string().trim().min(1).max(128).optional().describe("Process guid (Sysmon ProcessGuid, ECS entity id)"),
      process_id: z.union([z.string().trim().min(1).max(32), z.number().int().min(0)]).optional().describe("Process id (decimal or 0x hex)"),
      time: z.string().trim().min(1).max(64).optional().describe("ISO-8601 time the process was seen (picks the right one of a reused pid)"),
    })
    .refine((a) => a.process_guid !== undefined || a.process_id !== undefined, { message: "give process_guid or process_id", path: ["process_guid"] }),
  writes: false,
  agents: INVESTIGATORS,
  async run(args, ctx) {
    const tree = await processTree(ctx.db, args);
    if (!tree) throw new ToolError("not_found", `no process-creation event for that process on ${args.host}`);
    return { tree };
  },
});
