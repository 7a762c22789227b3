import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, open, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, extname, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import yauzl from "yauzl";
import { readEvtx } from "../evtx/index.js";
import { jsonDocuments, jsonLineDocuments, textLines, type JsonDocument } from "./json.js";

export interface EventFileRecord {
  /** The file the event came from; a zip entry is `archive.zip!entry.json`. */
  file: string;
  /** 1-based position of the event in its file (bad records count too, so numbers match error reports). */
  record: number;
  event: Record<string, unknown>;
}

export interface EventFileError {
  file: string;
  record?: number;
  message: string;
}

export interface EventFileProgress {
  /** Input bytes consumed so far (compressed bytes for .gz and .zip), across every file. */
  bytes: number;
  totalBytes: number;
  events: number;
  file: string;
}

export interface ReadEventFilesOptions {
  onError?: (error: EventFileError) => void;
  onProgress?: (progress: EventFileProgress) => void;
}

type Kind = "evtx" | "json" | "jsonl" | "gz" | "zip";

const KINDS: Record<string, Kind> = {
  ".evtx": "evtx",
  ".json": "json",
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".gz": "gz",
  ".zip": "zip",
};

export const SUPPORTED_EXTENSIONS = Object.keys(KINDS);

/** The reader for a file name; a `.gz` counts only if the name inside it is readable too. */
export function kindOf(name: string): Kind | undefined {
  const kind = KINDS[extname(name).toLowerCase()];
  if (kind === "gz") {
    const inner = KINDS[extname(name.slice(0, -3)).toLowerCase()];
    return inner === undefined || inner === "gz" ? undefined : "gz";
  }
  return kind;
}

const CHUNK = 1024 * 1024;
const PROGRESS_EVERY = 1000;

/** Why a file of this name is not read (a tar archive gets its own advice). */
export function unsupportedReason(name: string): string {
  if (/\.(tar|tgz|tar\.(gz|bz2|xz|zst))$/i.test(name)) {
    return "a tar archive, which is not read: extract it first, or pack the logs as .zip or as single gzip-compressed files";
  }
  return `unsupported file type (expected ${SUPPORTED_EXTENSIONS.join(", ")})`;
}

/**
 * Lists the files to read: explicit files as given, directories recursively (readable kinds only, sorted).
 * `skipped`: files inside the directories that are not of a readable kind.
 */
export async function listEventFiles(
  paths: string[],
): Promise<{ files: { path: string; size: number }[]; missing: string[]; skipped: string[] }> {
  const files: { path: string; size: number }[] = [];
  const missing: string[] = [];
  const skipped: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) missing.push(path);
    else if (info.isDirectory()) {
      const entries = await readdir(path, { withFileTypes: true, recursive: true });
      for (const entry of entries) if (entry.isFile() && kindOf(entry.name) === undefined) skipped.push(join(entry.parentPath, entry.name));
      const found = entries
        .filter((entry) => entry.isFile() && kindOf(entry.name) !== undefined)
        .map((entry) => join(entry.parentPath, entry.name))
        .sort();
      for (const file of found) files.push({ path: file, size: (await stat(file)).size });
    } else files.push({ path, size: info.size });
  }
  return { files, missing, skipped: skipped.sort() };
}

/**
 * Streams the events of EVTX, JSON, JSON-lines, gzip and zip files (directories recursively), one at a time:
 * memory stays flat however large the input. Unreadable files and bad records go to `onError` and are skipped.
 */
export async function* readEventFiles(paths: string[], options: ReadEventFilesOptions = {}): AsyncGenerator<EventFileRecord> {
  const report = options.onError ?? (() => undefined);
  const { files, missing } = await listEventFiles(paths);
  for (const path of missing) report({ file: path, message: "no such file or directory" });
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  let doneBytes = 0;
  let events = 0;
  let current = "";
  const context: ReadContext = { report, position: () => 0 };
  const progress = () =>
    options.onProgress?.({ bytes: doneBytes + Math.min(context.position(), fileSizeNow), totalBytes, events, file: current });
  let fileSizeNow = 0;
  for (const file of files) {
    current = file.path;
    fileSizeNow = file.size;
    context.position = () => 0;
    const kind = kindOf(file.path);
    if (kind === undefined) {
      report({ file: file.path, message: unsupportedReason(file.path) });
    } else {
      try {
        for await (const record of readFile(file.path, kind, file.path, context)) {
          yield record;
          if (++events % PROGRESS_EVERY === 0) progress();
        }
      } catch (error) {
        report({ file: file.path, message: (error as Error).message });
      }
    }
    doneBytes += file.size;
    context.position = () => 0;
    progress();
  }
}

interface ReadContext {
  report: (error: EventFileError) => void;
  /** Bytes of the top-level file consumed so far (for progress). */
  position: () => number;
}

async function* readFile(path: string, kind: Kind, label: string, context: ReadContext, top = true): AsyncGenerator<EventFileRecord> {
  if (kind === "evtx") yield* evtxEvents(path, label, context);
  else if (kind === "zip") yield* zipEvents(path, label, context, top);
  else {
    const source = createReadStream(path, { highWaterMark: CHUNK });
    if (top) context.position = () => source.bytesRead;
    yield* streamEvents(source, label, label, context);
  }
}

async function* evtxEvents(path: string, label: string, context: ReadContext): AsyncGenerator<EventFileRecord> {
  let record = 0;
  const onError = (error: { chunk: number; record?: number; message: string }) =>
    context.report({
      file: label,
      message: `chunk ${error.chunk}${error.record === undefined ? "" : `, EVTX record ${error.record}`}: ${error.message}`,
    });
  for await (const { event } of readEvtx(path, { onError })) yield { file: label, record: ++record, event };
}

/** Reads a stream by its name: a JSON layout, or gzip of one (decompressed on the fly), or a spilled EVTX/zip. */
async function* streamEvents(source: Readable, name: string, label: string, context: ReadContext): AsyncGenerator<EventFileRecord> {
  const kind = kindOf(name);
  if (kind === "gz") {
    const gunzip = createGunzip();
    source.pipe(gunzip);
    source.on("error", (error) => gunzip.destroy(error));
    yield* streamEvents(gunzip, name.slice(0, -3), label, context);
    return;
  }
  if (kind === "evtx" || kind === "zip") {
    // Both need random access, so a stream of one (inside a gzip or zip) is spilled to a temporary file.
    const dir = await mkdtemp(join(tmpdir(), "nightshift-detect-"));
    try {
      const spilled = join(dir, basename(name));
      await pipeline(source, createWriteStream(spilled));
      yield* readFile(spilled, kind, label, context, false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return;
  }
  if (kind === undefined) throw new Error(`unsupported file type: ${name}`);
  source.setEncoding("utf8");
  try {
    const documents = kind === "jsonl" ? jsonLineDocuments(textLines(source)) : jsonDocuments(source);
    yield* recordsOf(documents, label, context);
  } finally {
    source.destroy();
  }
}

async function* recordsOf(documents: AsyncIterable<JsonDocument>, label: string, context: ReadContext): AsyncGenerator<EventFileRecord> {
  for await (const document of documents) {
    if ("error" in document) context.report({ file: label, record: document.record, message: document.error });
    else yield { file: label, record: document.record, event: document.value };
  }
}

async function* zipEvents(path: string, label: string, context: ReadContext, top: boolean): AsyncGenerator<EventFileRecord> {
  const zip = await openZip(path);
  let compressed = 0;
  if (top) context.position = () => compressed;
  try {
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileName;
      if (name.endsWith("/") || name.startsWith("__MACOSX/") || kindOf(name) === undefined) continue;
      const entryLabel = `${label}!${name}`;
      try {
        const stream = await zip.openReadStreamPromise(entry);
        yield* streamEvents(stream, name, entryLabel, context);
      } catch (error) {
        context.report({ file: entryLabel, message: (error as Error).message });
      }
      compressed += entry.compressedSize;
    }
  } finally {
    zip.close();
  }
}

const ZIP_OPTIONS = { lazyEntries: true, autoClose: false };
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const END_RECORD_SIZE = 22;

/** Some archives (OTRF's among them) carry stray bytes after the zip's end record: read up to the record. */
async function openZip(path: string): Promise<yauzl.ZipFile> {
  try {
    return await yauzl.openPromise(path, ZIP_OPTIONS);
  } catch (error) {
    const end = await endOfZip(path);
    if (end === undefined) throw error;
    return yauzl.fromRandomAccessReaderPromise(new FileRangeReader(path), end, ZIP_OPTIONS);
  }
}

async function endOfZip(path: string): Promise<number | undefined> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, END_RECORD_SIZE + 0xffff + 64);
    const tail = Buffer.alloc(length);
    await handle.read(tail, 0, length, size - length);
    for (let i = length - END_RECORD_SIZE; i >= 0; i--) {
      if (tail.readUInt32LE(i) !== END_OF_CENTRAL_DIRECTORY) continue;
      const end = size - length + i + END_RECORD_SIZE + tail.readUInt16LE(i + 20);
      return end < size ? end : undefined;
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

class FileRangeReader extends yauzl.RandomAccessReader {
  constructor(private readonly path: string) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return createReadStream(this.path, { start, end: end - 1 });
  }
}
