import type { ResultStore, StoredResult } from "./tool.js";

/**
 * The results of one run (or one MCP session) kept whole behind handles `r-1`, `r-2`…: in memory only, as
 * long as the run lasts. The trace keeps each full result once, so nothing is lost when the run ends.
 */
export function createResultStore(options: { now?: () => string } = {}): ResultStore {
  const now = options.now ?? (() => new Date().toISOString());
  const stored = new Map<string, StoredResult>();
  let next = 1;
  return {
    put(tool, value, totalItems) {
      const result: StoredResult = { handle: `r-${next++}`, tool, value, total_items: totalItems, created_at: now() };
      stored.set(result.handle, result);
      return result;
    },
    get(handle) {
      return stored.get(handle.trim());
    },
    list() {
      return [...stored.values()];
    },
  };
}
