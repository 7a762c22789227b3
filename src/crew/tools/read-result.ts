import { z } from "zod";
import { listOf, renderListPage, renderTextPage, serialise } from "./budget.js";
import { READERS, defineTool } from "./define.js";
import { ToolError } from "./tool.js";

export const readResultTool = defineTool({
  name: "read_result",
  description:
    "Reads on in a result too large for the context, by the handle it came with (r-1, r-2…): a list page by page (page=2, 3… as " +
    "next_page says, or from an item offset), a long text from a character offset.",
  input: z.object({
    handle: z.string().trim().regex(/^r-\d+$/, "a handle such as r-3").describe("The handle of the earlier result"),
    page: z.number().int().min(1).optional().describe("Page of a list result (next_page of the last page)"),
    offset: z.number().int().min(0).optional().describe("Item offset in a list, or character offset in a text (next_offset)"),
  }),
  writes: false,
  agents: READERS,
  async run({ handle, page, offset }, ctx) {
    const stored = ctx.results.get(handle);
    if (!stored) throw new ToolError("not_found", `no result ${handle} in this run`);
    const text = (() => {
      if (listOf(stored.value)) return renderListPage(stored, offset !== undefined ? { offset } : { page: page ?? 2 }, ctx.budget).content;
      if (typeof stored.value === "string") return renderTextPage(stored, stored.value, offset ?? 0, ctx.budget).content;
      return renderTextPage(stored, serialise(stored.value), offset ?? 0, ctx.budget, "json").content;
    })();
    // The page was cut to fit this call's budget; handed back parsed, it passes the budget function whole.
    return JSON.parse(text) as unknown;
  },
});
