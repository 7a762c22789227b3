import { existsSync } from "node:fs";
import path from "node:path";

/** The reference data beside the project (`../shared`), as CI lays it out; tests read it, never copy it. */
export const SHARED = path.resolve(import.meta.dirname, "../../../shared");

export function sharedPath(...parts: string[]): string {
  const full = path.join(SHARED, ...parts);
  if (!existsSync(full)) throw new Error(`reference data missing: ${full} (../shared must sit beside the project)`);
  return full;
}

/** Every JSON document of a reference file (SigmaHQ's twins hold several back to back), read by the product's own reader. */
export async function readJsonDocuments(file: string): Promise<Record<string, unknown>[]> {
  const { readEventFiles } = await import("../../src/detect/readers/index.js");
  const documents: Record<string, unknown>[] = [];
  const errors: string[] = [];
  for await (const record of readEventFiles([file], { onError: (e) => errors.push(String(e.message ?? e)) })) documents.push(record.event);
  if (errors.length) throw new Error(`${file}: ${errors.join("; ")}`);
  return documents;
}
