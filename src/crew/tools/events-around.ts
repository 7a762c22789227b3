import { z } from "zod";
import { eventsAround } from "../../events/index.js";
import { READERS, defineTool } from "./define.js";

export const eventsAroundTool = defineTool({
  name: "events_around",
  description:
    "The events of a host and/or user in a window around a time (e.g. the alert's), oldest first; past the limit, those nearest " +
    "the time are kept. Use it to see what happened just before and after a trigger.",
  input: z
    .object({
      host: z.string().trim().min(1).max(255).optional().describe("Host name (short or fully qualified)"),
      user: z.string().trim().min(1).max(255).optional().describe("User name (DOMAIN\\user or bare)"),
      time: z.string().trim().min(1).max(64).describe("ISO-8601 time at the centre of the window"),
      window_minutes: z.number().min(0).max(1440).default(15).describe("Minutes before and after the time (default 15, at most 1440)"),
      limit: z
        .number()
        .int()
        .min(1)
        .optional()
        .transform((v) => Math.min(v ?? 100, 200))
        .describe("At most this many events (default 100, at most 200)"),
    })
    .refine((a) => a.host !== undefined || a.user !== undefined, { message: "give host or user", path: ["host"] }),
  writes: false,
  agents: READERS,
  async run({ host, user, time, window_minutes, limit }, ctx) {
    const events = await eventsAround(ctx.db, { host, user, time, before_minutes: window_minutes, after_minutes: window_minutes, limit });
    return { time, window_minutes, returned: events.length, events };
  },
});
