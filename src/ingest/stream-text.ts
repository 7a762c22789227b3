import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";

/**
 * The longest line (NDJSON, CSV) or record (a JSON array element, a JSON document, a CSV record) an alert
 * file may hold, in characters: 64 Mi, as `detect` allows. A longer one is an error naming its record, so
 * one newline-free file cannot exhaust memory; nothing is imported.
 */
export const MAX_RECORD_CHARS = 64 * 1024 * 1024;

/** Counts the characters examined, so tests can check each is looked at a bounded number of times. */
export interface ScanStats {
  scanned: number;
}

export interface StreamLimits {
  maxRecordChars: number;
  stats?: ScanStats;
}

/** UTF-8 text chunks of a byte stream (characters split across chunks are kept whole); a leading BOM is dropped. */
export async function* textChunks(source: AsyncIterable<unknown> | Readable): AsyncGenerator<string> {
  const decoder = new StringDecoder("utf8");
  let first = true;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    let text = decoder.write(chunk);
    if (first && text.length) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    if (text.length) yield text;
  }
  const rest = decoder.end();
  if (rest.length) yield first && rest.charCodeAt(0) === 0xfeff ? rest.slice(1) : rest;
}

export type LineItem = { line: number; text: string } | { line: number; overlong: true };

/**
 * Lines without their terminators (`\n` or `\r\n`). Each character is examined once: only the new chunk
 * is searched for a newline, and the pieces of an unfinished line are joined once, when it ends. A line
 * longer than the cap is reported as `overlong` (its text dropped as it streams) and reading goes on.
 */
export async function* splitLines(chunks: AsyncIterable<string>, limits: StreamLimits): AsyncGenerator<LineItem> {
  let pieces: string[] = [];
  let pending = 0;
  let overlong = false;
  let line = 0;
  const finish = (tail: string): LineItem => {
    line++;
    const text = overlong ? "" : pieces.length ? pieces.join("") + tail : tail;
    pieces = [];
    pending = 0;
    if (overlong) {
      overlong = false;
      return { line, overlong: true };
    }
    return { line, text: text.endsWith("\r") ? text.slice(0, -1) : text };
  };
  for await (const chunk of chunks) {
    let start = 0;
    let newline: number;
    while ((newline = chunk.indexOf("\n", start)) !== -1) {
      if (limits.stats) limits.stats.scanned += newline + 1 - start;
      const tail = chunk.slice(start, newline);
      if (!overlong && pending + tail.length > limits.maxRecordChars + 1) overlong = true;
      yield finish(overlong ? "" : tail);
      start = newline + 1;
    }
    if (limits.stats) limits.stats.scanned += chunk.length - start;
    if (start < chunk.length && !overlong) {
      pieces.push(start === 0 ? chunk : chunk.slice(start));
      pending += chunk.length - start;
      if (pending > limits.maxRecordChars + 1) {
        overlong = true;
        pieces = [];
        pending = 0;
      }
    }
  }
  if (overlong || pending > 0) yield finish("");
}
