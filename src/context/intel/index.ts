import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { ValidationError, type Clock } from "../../core/index.js";
import type { Db } from "../../store/index.js";
import { parseMispCsv, parseMispEvent, readMispFeed } from "./misp.js";
import { parsePlainList } from "./lists.js";
import { parseStixBundle } from "./stix.js";
import { importIntel, type IntelImportResult, type IntelParse } from "./store.js";

export const INTEL_FORMATS = ["stix", "misp", "misp-csv", "list"] as const;
export type IntelFormat = (typeof INTEL_FORMATS)[number];

export interface ImportIntelFileOptions {
  /** Feed name recorded on every indicator (default: the file or folder name without extension). */
  feed?: string;
  /** Detected when absent: a folder is a MISP feed, JSON a STIX bundle or MISP event, `.csv` MISP CSV, else a list. */
  format?: IntelFormat;
  clock?: Clock;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ValidationError(`invalid JSON in ${file}: ${message}`, [{ path: "file", message }]);
  }
}

/** Reads a feed in any supported format into unvalidated candidates. */
export async function readIntel(target: string, format?: IntelFormat): Promise<{ format: IntelFormat; parse: IntelParse }> {
  const name = path.basename(target);
  if ((await stat(target)).isDirectory()) {
    if (format && format !== "misp") throw new ValidationError(`${name} is a folder: only a MISP feed can be`, [{ path: "format", message: "a folder is a MISP feed" }]);
    return { format: "misp", parse: await readMispFeed(target) };
  }
  const text = await readFile(target, "utf8");
  const looksJson = /^\s*[{[]/.test(text.replace(/^\uFEFF/, ""));
  const chosen: IntelFormat = format ?? (looksJson ? "stix" : /\.csv$/i.test(name) ? "misp-csv" : "list");
  switch (chosen) {
    case "stix":
    case "misp": {
      const data = parseJson(text, name);
      const isEvent = !!data && typeof data === "object" && "Event" in data;
      return isEvent || chosen === "misp" ? { format: "misp", parse: parseMispEvent(data, name) } : { format: "stix", parse: parseStixBundle(data) };
    }
    case "misp-csv":
      return { format: chosen, parse: parseMispCsv(text) };
    case "list":
      return { format: chosen, parse: parsePlainList(text) };
  }
}

/** Imports a feed file or MISP feed folder: validated in full first, then written in one transaction, or nothing. */
export async function importIntelFile(db: Db, target: string, options: ImportIntelFileOptions = {}): Promise<IntelImportResult> {
  const { format, parse } = await readIntel(target, options.format);
  const feed = options.feed ?? path.basename(target).replace(/\.[^.]+$/, "");
  return importIntel(db, parse, { feed, format, clock: options.clock });
}

export { importIntel, mergeIndicator, validateIntel, writeIntel, checkFeedName } from "./store.js";
export type { IntelCandidate, IntelImportResult, IntelParse, IntelSkip, ImportIntelOptions } from "./store.js";
export { parseStixBundle } from "./stix.js";
export { parseStixPattern, StixPatternError } from "./stix-pattern.js";
export { parseMispCsv, parseMispEvent, readMispFeed } from "./misp.js";
export { detectIndicatorType, parsePlainList } from "./lists.js";
export { addressKey, coveringKeys, networkKey } from "./network.js";
export { IntelIndex, intelIndex, setIntelStaleness } from "./lookup.js";
