import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { open, readdir, stat, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

/**
 * A rotation-safe tail over one growing log file. The position is a cursor that the connector commits
 * with the alerts of each page, so a crash re-reads from the last committed byte. Files are identified
 * by (dev, ino) plus a hash of their first ≤1 KiB: rename rotation (logrotate `create`, Suricata's
 * reopen), copytruncate and a file truncated and rewritten in place are all told apart.
 */

export const HEAD_BYTES = 1024;
/** Lines whose head is searched for a header when starting at the end of a file (Zeek's `#fields`…). */
const PREAMBLE_BYTES = 64 * 1024;
const MAX_RECENT_REJECTIONS = 20;
/** Compressed rotations are never re-read: their bytes are not the bytes the offset counts. */
const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|zip|z)$/i;

export const TailSettingsShape = {
  /** The live file, e.g. /var/log/suricata/eve.json. */
  path: z.string().min(1, "a file path is required"),
  /**
   * File-name patterns (`*` and `?`, same directory) where rotated copies of `path` are looked for by
   * inode; `{name}` stands for the file name and `{stem}` for it without its extension.
   */
  rotated: z.array(z.string().min(1)).default(["{name}.*", "{name}-*", "{stem}.*.*", "{stem}-*"]),
  /** Where a never-read file starts: its beginning (everything already logged) or its end (only new lines). */
  start_at: z.enum(["beginning", "end"]).default("beginning"),
  /** Bounds of one page (one transaction): whichever is reached first. */
  max_lines: z.coerce.number().int().min(1).max(100_000).default(5000),
  max_bytes: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(8 * 1024 * 1024),
};
export const TailSettings = z.object(TailSettingsShape);
export type TailSettings = z.output<typeof TailSettings>;

export const Rejection = z.object({ file: z.string(), line: z.number().int(), reason: z.string() });
export type Rejection = z.infer<typeof Rejection>;

/** The persisted position (Checkpoint.cursor). Inode and device numbers are decimal strings: they may exceed 2^53. */
export const TailCursor = z.object({
  /** The configured path this cursor belongs to: another path starts afresh. */
  path: z.string(),
  /** The file being read: `path`, or a rotated copy being finished. */
  file: z.string().nullable(),
  dev: z.string().nullable(),
  ino: z.string().nullable(),
  offset: z.number().int().min(0),
  /** Complete lines consumed in this file (for rejection messages). */
  line: z.number().int().min(0),
  size: z.number().int().min(0).default(0),
  head_hash: z.string().nullable(),
  head_len: z.number().int().min(0).max(HEAD_BYTES),
  /** Discarding the rest of a line longer than max_bytes. */
  skip_partial: z.boolean().default(false),
  /** start_at applies to the first file only: after a rotation every new file is read from 0. */
  started: z.boolean().default(false),
  /** The line decoder's per-file state (Zeek's header), reset with each new file. */
  parser_state: z.unknown().optional(),
  status: z.string().default("starting"),
  /** The last rotation, truncation or loss observed, for the operator. */
  note: z.string().nullable().default(null),
  rejected_total: z.number().int().min(0).default(0),
  recent_rejections: z.array(Rejection).default([]),
});
export type TailCursor = z.infer<typeof TailCursor>;

export function initialCursor(filePath: string): TailCursor {
  return {
    path: filePath,
    file: null,
    dev: null,
    ino: null,
    offset: 0,
    line: 0,
    size: 0,
    head_hash: null,
    head_len: 0,
    skip_partial: false,
    started: false,
    status: "starting",
    note: null,
    rejected_total: 0,
    recent_rejections: [],
  };
}

/** The stored cursor, or a fresh one when there is none, it is unreadable, or it belongs to another path. */
export function cursorFrom(stored: unknown, filePath: string): TailCursor {
  const parsed = TailCursor.safeParse(stored);
  return parsed.success && parsed.data.path === filePath ? parsed.data : initialCursor(filePath);
}

export function recordRejections(cursor: TailCursor, rejections: Rejection[]): TailCursor {
  if (!rejections.length) return cursor;
  return {
    ...cursor,
    rejected_total: cursor.rejected_total + rejections.length,
    recent_rejections: [...cursor.recent_rejections, ...rejections].slice(-MAX_RECENT_REJECTIONS),
  };
}

export interface TailLine {
  text: string;
  /** 1-based line number in `file`. */
  number: number;
}

export interface TailPage {
  /** The file the lines come from (one file per page). */
  file: string | null;
  /** The page starts a file from its first byte (or a fresh start): the decoder's state resets. */
  fresh: boolean;
  /** Header lines of a file started at its end (only with start_at: end), for the decoder's state. */
  preamble: string[];
  lines: TailLine[];
  /** Lines too long for a page, skipped. */
  rejections: Rejection[];
  cursor: TailCursor;
  /** More complete lines (or the next file) are waiting now. */
  more: boolean;
}

export interface TailOptions {
  /** A header line worth replaying when starting at the end of a file (its decoder needs it). */
  preamble?: RegExp;
}

const idOf = (s: { dev: bigint | number; ino: bigint | number }) => ({ dev: String(s.dev), ino: String(s.ino) });
const sameFile = (cursor: TailCursor, id: { dev: string; ino: string }) => cursor.dev === id.dev && cursor.ino === id.ino;

async function statOrNull(file: string) {
  try {
    return await stat(file, { bigint: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR") return null;
    throw error;
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

async function headHash(handle: FileHandle, length: number): Promise<string> {
  return sha256(await readAt(handle, 0, length));
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`);
}

/** Rotated candidates of `filePath` in its directory (never compressed ones, never the live file). */
export async function rotatedCandidates(filePath: string, patterns: string[]): Promise<string[]> {
  const dir = path.dirname(filePath);
  const name = path.basename(filePath);
  const ext = path.extname(name);
  const stem = ext ? name.slice(0, -ext.length) : name;
  const matchers = patterns.map((p) => globToRegExp(p.replaceAll("{name}", name).replaceAll("{stem}", stem)));
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry !== name && !COMPRESSED.test(entry) && matchers.some((m) => m.test(entry)))
    .sort()
    .map((entry) => path.join(dir, entry));
}

interface Opened {
  handle: FileHandle;
  size: number;
  id: { dev: string; ino: string };
}

async function openFile(file: string): Promise<Opened | null> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const s = await handle.stat({ bigint: true });
  return { handle, size: Number(s.size), id: idOf(s) };
}

/** The rotated file with this identity, opened (a rename keeps the inode). */
async function findByIdentity(cursor: TailCursor, settings: TailSettings): Promise<{ file: string; opened: Opened } | null> {
  for (const candidate of await rotatedCandidates(settings.path, settings.rotated)) {
    const s = await statOrNull(candidate);
    if (!s || !sameFile(cursor, idOf(s))) continue;
    const opened = await openFile(candidate);
    if (opened && sameFile(cursor, opened.id)) return { file: candidate, opened };
    await opened?.handle.close();
  }
  return null;
}

/** A copy (copytruncate) of the file the cursor was reading: same head, at least as long as the offset. */
async function findCopy(cursor: TailCursor, settings: TailSettings): Promise<{ file: string; opened: Opened } | null> {
  if (cursor.head_hash === null || cursor.head_len === 0) return null;
  for (const candidate of await rotatedCandidates(settings.path, settings.rotated)) {
    const opened = await openFile(candidate);
    if (!opened) continue;
    if (!sameFile(cursor, opened.id) && opened.size >= cursor.offset && (await headHash(opened.handle, cursor.head_len)) === cursor.head_hash) return { file: candidate, opened };
    await opened.handle.close();
  }
  return null;
}

function startOn(cursor: TailCursor, file: string, opened: Opened, offset: number, note: string | null): TailCursor {
  return {
    ...cursor,
    file,
    dev: opened.id.dev,
    ino: opened.id.ino,
    offset,
    line: 0,
    size: opened.size,
    head_hash: null,
    head_len: 0,
    skip_partial: false,
    started: true,
    parser_state: undefined,
    note: note ?? cursor.note,
  };
}

/** After the last newline before `size`: starting at the end never begins mid-line. */
async function alignedEnd(handle: FileHandle, size: number): Promise<{ offset: number; skipPartial: boolean }> {
  if (size === 0) return { offset: 0, skipPartial: false };
  const from = Math.max(0, size - PREAMBLE_BYTES);
  const tail = await readAt(handle, from, size - from);
  const last = tail.lastIndexOf(0x0a);
  if (last >= 0) return { offset: from + last + 1, skipPartial: false };
  return from === 0 ? { offset: 0, skipPartial: false } : { offset: size, skipPartial: true };
}

async function readPreamble(handle: FileHandle, pattern: RegExp): Promise<string[]> {
  const head = (await readAt(handle, 0, PREAMBLE_BYTES)).toString("utf8").split("\n");
  head.pop();
  const out: string[] = [];
  for (const line of head) {
    const text = line.replace(/\r$/, "");
    if (!pattern.test(text)) break;
    out.push(text);
  }
  return out;
}

interface Chunk {
  lines: TailLine[];
  rejections: Rejection[];
  cursor: TailCursor;
  /** Stopped by a page bound with bytes left. */
  limited: boolean;
  /** Bytes after the last newline (a line still being written). */
  partial: Buffer;
}

/**
 * Complete lines from the cursor's offset: one read of at most max_bytes, at most max_lines lines.
 * A line longer than a whole page can never be read whole, so it is skipped (and rejected), not waited for.
 */
async function readLines(opened: Opened, cursor: TailCursor, settings: TailSettings, file: string): Promise<Chunk> {
  const lines: TailLine[] = [];
  const rejections: Rejection[] = [];
  let { offset, line, skip_partial } = cursor;
  const size = opened.size;
  const data = offset < size ? await readAt(opened.handle, offset, Math.min(settings.max_bytes, size - offset)) : Buffer.alloc(0);
  const readToEnd = offset + data.length >= size;
  let consumed = 0;
  if (skip_partial) {
    const newline = data.indexOf(0x0a);
    if (newline < 0) {
      offset += data.length;
      return { lines, rejections, cursor: { ...cursor, offset, size }, limited: !readToEnd, partial: Buffer.alloc(0) };
    }
    consumed = newline + 1;
    skip_partial = false;
  }
  while (lines.length < settings.max_lines) {
    const newline = data.indexOf(0x0a, consumed);
    if (newline < 0) break;
    const text = data.subarray(consumed, newline).toString("utf8").replace(/\r$/, "");
    line++;
    if (text.trim()) lines.push({ text, number: line });
    consumed = newline + 1;
  }
  if (consumed === 0 && data.length === settings.max_bytes && !readToEnd) {
    line++;
    rejections.push({ file, line, reason: `line longer than ${settings.max_bytes} bytes skipped` });
    return { lines, rejections, cursor: { ...cursor, offset: offset + data.length, line, skip_partial: true, size }, limited: true, partial: Buffer.alloc(0) };
  }
  offset += consumed;
  const limited = offset < size && (lines.length >= settings.max_lines || !readToEnd);
  const partial = !limited && readToEnd ? data.subarray(consumed) : Buffer.alloc(0);
  return { lines, rejections, cursor: { ...cursor, offset, line, skip_partial, size }, limited, partial };
}

async function refreshHead(opened: Opened, cursor: TailCursor): Promise<TailCursor> {
  if (cursor.head_len >= HEAD_BYTES || opened.size <= cursor.head_len) return cursor;
  const length = Math.min(HEAD_BYTES, opened.size);
  return { ...cursor, head_len: length, head_hash: await headHash(opened.handle, length) };
}

/**
 * One page of complete lines. A missing file is not an error: the page is empty and the status says
 * waiting. Pages never mix two files, so a decoder's per-file state resets cleanly (`fresh`).
 */
export async function readPage(stored: TailCursor, settings: TailSettings, options: TailOptions = {}): Promise<TailPage> {
  let cursor = stored;
  let fresh = false;
  let preamble: string[] = [];
  const empty = (c: TailCursor, more = false): TailPage => ({ file: c.file, fresh, preamble, lines: [], rejections: [], cursor: c, more });

  // At most a few transitions (finish the old file, then open the new one) per page.
  for (let step = 0; step < 4; step++) {
    const live = await statOrNull(settings.path);
    const liveId = live ? idOf(live) : null;

    if (cursor.ino === null) {
      // start_at: end skips what a file held when first seen; a file that appears later is new, read from 0.
      if (!live) return empty({ ...cursor, started: true, status: `waiting: ${settings.path} does not exist` });
      const opened = await openFile(settings.path);
      if (!opened) continue;
      let offset = 0;
      let skip = false;
      if (!cursor.started && settings.start_at === "end") {
        const end = await alignedEnd(opened.handle, opened.size);
        offset = end.offset;
        skip = end.skipPartial;
        if (options.preamble) preamble = await readPreamble(opened.handle, options.preamble);
      }
      cursor = { ...startOn(cursor, settings.path, opened, offset, null), skip_partial: skip };
      fresh = true;
      await opened.handle.close();
      continue;
    }

    if (liveId && sameFile(cursor, liveId)) {
      const opened = await openFile(settings.path);
      if (!opened) continue;
      try {
        if (!sameFile(cursor, opened.id)) continue;
        const headChanged = cursor.head_len > 0 && (opened.size < cursor.head_len || (await headHash(opened.handle, cursor.head_len)) !== cursor.head_hash);
        if (opened.size < cursor.offset || headChanged) {
          // Truncated (copytruncate) or rewritten in place: finish the copy if one is there, then restart at 0.
          const reason = opened.size < cursor.offset ? `truncated below offset ${cursor.offset}` : "rewritten (its first bytes changed)";
          const copy = await findCopy(cursor, settings);
          if (copy) {
            await copy.opened.handle.close();
            cursor = { ...cursor, file: copy.file, dev: copy.opened.id.dev, ino: copy.opened.id.ino, note: `${settings.path} ${reason}; finishing its copy ${path.basename(copy.file)}` };
          } else {
            cursor = { ...startOn(cursor, settings.path, opened, 0, `${settings.path} ${reason}; reading it again from the start`) };
            fresh = true;
          }
          continue;
        }
        const chunk = await readLines(opened, cursor, settings, settings.path);
        const next = await refreshHead(opened, { ...chunk.cursor, file: settings.path, status: chunk.limited ? "reading" : "caught up" });
        return { file: settings.path, fresh, preamble, lines: chunk.lines, rejections: chunk.rejections, cursor: next, more: chunk.limited };
      } finally {
        await opened.handle.close();
      }
    }

    // The live path is another file now (or gone): finish the one we were reading, found by its inode.
    const old = await findByIdentity(cursor, settings);
    if (old) {
      try {
        const chunk = await readLines(old.opened, cursor, settings, old.file);
        let next: TailCursor = { ...chunk.cursor, file: old.file };
        if (chunk.limited || chunk.lines.length || chunk.rejections.length) {
          return { file: old.file, fresh, preamble, lines: chunk.lines, rejections: chunk.rejections, cursor: { ...next, status: `finishing rotated ${path.basename(old.file)}` }, more: true };
        }
        if (!live || live.size === 0n) {
          // The writer may still append to the renamed file until it reopens the path.
          return empty({ ...next, status: `waiting: ${settings.path} rotated, ${live ? "empty" : "not re-created"} yet` });
        }
        const lines: TailLine[] = [];
        if (chunk.partial.length && !next.skip_partial) {
          // The writer has moved on to the new file: the unterminated last line is complete.
          const text = chunk.partial.toString("utf8").replace(/\r$/, "");
          next = { ...next, line: next.line + 1, offset: next.offset + chunk.partial.length };
          if (text.trim()) lines.push({ text, number: next.line });
        }
        const opened = await openFile(settings.path);
        if (!opened) continue;
        next = startOn(next, settings.path, opened, 0, `finished rotated ${path.basename(old.file)}; reading new ${path.basename(settings.path)}`);
        await opened.handle.close();
        if (lines.length) return { file: old.file, fresh, preamble, lines, rejections: [], cursor: { ...next, status: "reading" }, more: true };
        cursor = next;
        fresh = true;
        continue;
      } finally {
        await old.opened.handle.close();
      }
    }
    if (!live) return empty({ ...cursor, status: `waiting: ${settings.path} does not exist` });
    const opened = await openFile(settings.path);
    if (!opened) continue;
    // Deleted or compressed: whatever was written to it after the offset cannot be read any more.
    const lost = `${settings.path} was replaced and the old file was not found among its rotated names (deleted or compressed): anything written to it after byte ${cursor.offset} was not read`;
    cursor = startOn(cursor, settings.path, opened, 0, lost);
    fresh = true;
    await opened.handle.close();
  }
  return empty(cursor, true);
}
