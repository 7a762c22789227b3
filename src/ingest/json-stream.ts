import { parseJson } from "../core/index.js";
import type { StreamLimits } from "./stream-text.js";

/** One record of a JSON file: its value, or why it could not be read. `line` is where the record ends. */
export type JsonRecord = { record: number; line?: number; value: unknown } | { record: number; line?: number; error: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const endsScalar = (c: number) => isSpace(c) || c === 0x2c || c === 0x5d;

type Between = "first" | "value" | "comma" | "after";
type Element = { kind: "container"; depth: number } | { kind: "string" } | { kind: "scalar" };

function parsed(record: number, line: number | undefined, text: string): JsonRecord {
  const at = line === undefined ? {} : { line };
  try {
    return { record, ...at, value: parseJson(text) };
  } catch (error) {
    return { record, ...at, error: `invalid JSON: ${(error as Error).message}` };
  }
}

const describe = (c: number) => JSON.stringify(String.fromCharCode(c));

/**
 * The records of a JSON file without reading it whole: a top-level array yields its elements one at a
 * time (each cut out by bracket depth, every character examined once, parsed alone), anything else is one
 * record. No record may be longer than `maxRecordChars`: a longer one is an error naming it, and reading
 * stops there.
 */
export async function* jsonFileRecords(chunks: AsyncIterable<string>, limits: StreamLimits): AsyncGenerator<JsonRecord> {
  const cap = limits.maxRecordChars;
  const tooLong = (what: string) => `${what} is longer than ${cap} characters (the cap on one record)`;
  let mode: "start" | "array" | "document" = "start";
  let between: Between = "first";
  let element: Element | null = null;
  let inString = false;
  let escaped = false;
  let pieces: string[] = [];
  let pending = 0;
  let record = 0;
  let line = 1;
  for await (const chunk of chunks) {
    let i = 0;
    if (mode === "start") {
      while (i < chunk.length && isSpace(chunk.charCodeAt(i))) if (chunk.charCodeAt(i++) === NEWLINE) line++;
      if (i === chunk.length) continue;
      if (chunk.charCodeAt(i) === 0x5b) {
        mode = "array";
        i++;
      } else mode = "document";
    }
    if (mode === "document") {
      pieces.push(i === 0 ? chunk : chunk.slice(i));
      pending += chunk.length - i;
      if (pending > cap) {
        yield { record: 1, error: tooLong("the JSON document") };
        return;
      }
      continue;
    }
    let start = element ? 0 : -1;
    while (i < chunk.length) {
      const c = chunk.charCodeAt(i);
      if (limits.stats) limits.stats.scanned++;
      if (c === NEWLINE) line++;
      if (element) {
        let end = -1;
        if (inString) {
          if (escaped) escaped = false;
          else if (c === BACKSLASH) escaped = true;
          else if (c === QUOTE) {
            inString = false;
            if (element.kind === "string") end = i + 1;
          }
        } else if (element.kind === "scalar") {
          if (endsScalar(c)) end = i;
        } else if (element.kind === "container") {
          if (c === QUOTE) inString = true;
          else if (c === 0x7b || c === 0x5b) element.depth++;
          else if ((c === 0x7d || c === 0x5d) && --element.depth === 0) end = i + 1;
        }
        if (end === -1) {
          i++;
          continue;
        }
        const text = pieces.length ? pieces.join("") + chunk.slice(start, end) : chunk.slice(start, end);
        pieces = [];
        pending = 0;
        element = null;
        record++;
        if (text.length > cap) {
          yield { record, line, error: tooLong(`record ${record}`) };
          return;
        }
        if (end === i) {
          // A scalar ends at the delimiter after it, which is examined again as a delimiter.
          if (c === NEWLINE) line--;
          if (limits.stats) limits.stats.scanned--;
        }
        yield parsed(record, line, text);
        between = "comma";
        i = end;
        continue;
      }
      if (isSpace(c)) {
        i++;
        continue;
      }
      if (between === "after") {
        yield { record: record + 1, line, error: `invalid JSON: unexpected ${describe(c)} after the top-level array` };
        return;
      }
      if (c === 0x5d && between !== "value") {
        between = "after";
        i++;
        continue;
      }
      if (c === 0x2c && between === "comma") {
        between = "value";
        i++;
        continue;
      }
      if (between === "comma" || c === 0x2c || c === 0x5d) {
        yield { record: record + 1, line, error: `invalid JSON: unexpected ${describe(c)} in the top-level array` };
        return;
      }
      start = i;
      if (c === 0x7b || c === 0x5b) element = { kind: "container", depth: 1 };
      else if (c === QUOTE) {
        element = { kind: "string" };
        inString = true;
      } else element = { kind: "scalar" };
      i++;
    }
    if (element) {
      pieces.push(start === 0 ? chunk : chunk.slice(start));
      pending += chunk.length - start;
      if (pending > cap) {
        yield { record: record + 1, line, error: tooLong(`record ${record + 1}`) };
        return;
      }
    }
  }
  if (mode === "start") yield { record: 1, error: "invalid JSON: the file is empty" };
  else if (mode === "document") yield parsed(1, undefined, pieces.join(""));
  else if (element?.kind === "scalar") {
    record++;
    yield parsed(record, line, pieces.join(""));
    yield { record: record + 1, line, error: "invalid JSON: the file ends inside the top-level array" };
  } else if (element || between !== "after") yield { record: record + 1, line, error: "invalid JSON: the file ends inside the top-level array" };
}
