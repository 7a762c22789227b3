export { SHARED, sharedPath } from "../../src/core/testing.js";

/** Every JSON document of a reference file (SigmaHQ's twins hold several back to back), read by the product's own reader. */
export async function readJsonDocuments(file: string): Promise<Record<string, unknown>[]> {
  const { readEventFiles } = await import("../../src/detect/readers/index.js");
  const documents: Record<string, unknown>[] = [];
  const errors: string[] = [];
  for await (const record of readEventFiles([file], { onError: (e) => errors.push(String(e.message ?? e)) })) documents.push(record.event);
  if (errors.length) throw new Error(`${file}: ${errors.join("; ")}`);
  return documents;
}
