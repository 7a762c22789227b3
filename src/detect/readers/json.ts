import { parseJson } from "../../core/json.js";

/** One JSON document found in a text stream: parsed, or the reason it could not be. */
export type JsonDocument = { record: number; value: Record<string, unknown> } | { record: number; error: string };

/** A line longer than this is reported and skipped, so one newline-free file cannot exhaust memory. */
export const MAX_DOCUMENT_CHARS = 64 * 1024 * 1024;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Characters examined while looking for line ends (each character of the input once). */
export interface LineScanStats {
  examined: number;
}

/**
 * Splits a text stream into lines without ever holding more than one line plus one chunk, in time linear in
 * the input: each chunk is searched once for newlines, and a line that spans chunks is kept as its pieces and
 * joined once, when its end arrives (never re-concatenated and re-searched chunk after chunk).
 */
export async function* textLines(chunks: AsyncIterable<string>, stats?: LineScanStats): AsyncGenerator<{ line: string } | { overlong: true }> {
  let pending: string[] = [];
  let pendingLength = 0;
  let skipping = false;
  for await (const chunk of chunks) {
    if (stats) stats.examined += chunk.length;
    let start = 0;
    let newline: number;
    while ((newline = chunk.indexOf("\n", start)) !== -1) {
      if (skipping) skipping = false;
      else {
        const piece = chunk.slice(start, newline);
        yield { line: pending.length ? pending.join("") + piece : piece };
      }
      pending = [];
      pendingLength = 0;
      start = newline + 1;
    }
    if (!skipping && start < chunk.length) {
      pending.push(chunk.slice(start));
      pendingLength += chunk.length - start;
    }
    if (pendingLength > MAX_DOCUMENT_CHARS) {
      yield { overlong: true };
      pending = [];
      pendingLength = 0;
      skipping = true;
    }
  }
  if (!skipping && pendingLength > 0) yield { line: pending.join("") };
}

/** JSON lines: one object (or an array of objects) a line; blank lines are ignored, bad ones reported. */
export async function* jsonLineDocuments(lines: AsyncIterable<{ line: string } | { overlong: true }>): AsyncGenerator<JsonDocument> {
  let record = 0;
  for await (const item of lines) {
    if ("overlong" in item) {
      yield { record: ++record, error: `line longer than ${MAX_DOCUMENT_CHARS} characters` };
      continue;
    }
    const line = item.line.trim();
    if (line.length === 0) continue;
    yield* documentsOf(line, () => ++record);
  }
}

function* documentsOf(text: string, next: () => number): Generator<JsonDocument> {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    yield { record: next(), error: `invalid JSON: ${(error as Error).message}` };
    return;
  }
  for (const item of Array.isArray(value) ? value : [value]) {
    if (isObject(item)) yield { record: next(), value: item };
    else yield { record: next(), error: `expected a JSON object, got ${item === null ? "null" : Array.isArray(item) ? "an array" : typeof item}` };
  }
}

/**
 * Any `.json` layout: one object, an array of objects, JSON lines, or several (pretty-printed) documents
 * one after another, as SigmaHQ's regression twins are. If the first line is a complete JSON value the file
 * is read as JSON lines (a broken line cannot swallow the next); otherwise top-level objects and the
 * elements of top-level arrays are cut out by bracket depth, one at a time.
 */
export async function* jsonDocuments(chunks: AsyncIterable<string>): AsyncGenerator<JsonDocument> {
  const iterator = chunks[Symbol.asyncIterator]();
  let head = "";
  let done = false;
  let firstLine: string | undefined;
  while (firstLine === undefined && !done) {
    const next = await iterator.next();
    if (next.done) done = true;
    else head += next.value;
    const trimmed = head.trimStart();
    const newline = trimmed.indexOf("\n");
    if (newline !== -1) firstLine = trimmed.slice(0, newline);
    else if (done) firstLine = trimmed;
    else if (trimmed.length > MAX_DOCUMENT_CHARS) firstLine = "";
  }
  const replay = async function* () {
    yield head;
    if (done) return;
    while (true) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  };
  if (isCompleteJson(firstLine ?? "")) yield* jsonLineDocuments(textLines(replay()));
  else yield* scannedDocuments(replay());
}

function isCompleteJson(line: string): boolean {
  const trimmed = line.trim();
  if (trimmed.length === 0) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09 || code === 0xfeff;
}

async function* scannedDocuments(chunks: AsyncIterable<string>): AsyncGenerator<JsonDocument> {
  let record = 0;
  let buffer = "";
  let position = 0;
  let depth = 0;
  let inString = false;
  let inTopArray = false;
  /** Where the current document starts in `buffer`, or -1 between documents. */
  let start = -1;
  let junk = false;
  for await (const chunk of chunks) {
    buffer = start === -1 ? chunk : buffer + chunk;
    position = start === -1 ? 0 : position;
    if (start !== -1 && start > 0) {
      buffer = buffer.slice(start);
      position -= start;
      start = 0;
    }
    while (position < buffer.length) {
      if (inString) {
        const quote = buffer.indexOf('"', position);
        if (quote === -1) {
          position = buffer.length;
          break;
        }
        let backslashes = 0;
        for (let k = quote - 1; k >= 0 && buffer.charCodeAt(k) === BACKSLASH; k--) backslashes++;
        position = quote + 1;
        if (backslashes % 2 === 0) inString = false;
        continue;
      }
      const code = buffer.charCodeAt(position);
      const level = inTopArray ? 1 : 0;
      if (depth > level) {
        if (code === QUOTE) inString = true;
        else if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
        else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
          depth--;
          if (depth === level) {
            yield* documentsOf(buffer.slice(start, position + 1), () => ++record);
            start = -1;
          }
        }
        position++;
        continue;
      }
      // Between documents: only whitespace, commas inside a top-level array, and brackets are expected.
      if (code === OPEN_BRACE) {
        start = position;
        depth++;
        junk = false;
      } else if (code === OPEN_BRACKET && !inTopArray) {
        inTopArray = true;
        depth = 1;
      } else if (code === CLOSE_BRACKET && inTopArray) {
        inTopArray = false;
        depth = 0;
      } else if (!(isSpace(code) || (code === COMMA && inTopArray)) && !junk) {
        junk = true;
        yield { record: ++record, error: `unexpected ${JSON.stringify(buffer[position])} between JSON objects` };
      }
      position++;
    }
    if (start === -1) {
      buffer = "";
      position = 0;
    } else if (buffer.length - start > MAX_DOCUMENT_CHARS) {
      yield { record: ++record, error: `JSON document longer than ${MAX_DOCUMENT_CHARS} characters` };
      return;
    }
  }
  if (start !== -1) yield { record: ++record, error: "unexpected end of file inside a JSON document" };
}
