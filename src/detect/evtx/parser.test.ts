import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readJsonDocuments, sharedPath } from "../../../test/support/shared.js";
import { readEvtx } from "./parser.js";
import type { EvtxError, EvtxRecord, ReadEvtxOptions } from "./parser.js";

const SIGMA_DATA = sharedPath("data/sigma/regression_data");
const SAMPLES = sharedPath("data/evtx-samples");
const CHUNK_SIZE = 65536;
const FILE_HEADER_SIZE = 4096;

// The twin says "Explorer.exe" but the .evtx bytes hold "Explorer.EXE" (checked by hand): the twin was edited.
const KNOWN_TWIN_EDITS = new Set(["ad691d92-15f2-4181-9aa4-723c74f9ddc3.evtx:ParentCommandLine"]);

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

async function collect(file: string, options: ReadEvtxOptions = {}): Promise<EvtxRecord[]> {
  const records: EvtxRecord[] = [];
  for await (const record of readEvtx(file, options)) records.push(record);
  return records;
}


/** Record count the chunk headers announce (last - first record number + 1), read independently of the parser. */
function countFromChunkHeaders(file: string): number {
  const bytes = readFileSync(file);
  let total = 0;
  for (let at = FILE_HEADER_SIZE; at + CHUNK_SIZE <= bytes.length; at += CHUNK_SIZE) {
    if (bytes.toString("latin1", at, at + 8) !== "ElfChnk\0") continue;
    total += Number(bytes.readBigUInt64LE(at + 16) - bytes.readBigUInt64LE(at + 8)) + 1;
  }
  return total;
}

interface TwinEvent {
  System: Record<string, unknown> & { EventRecordID: number | string };
  EventData?: Record<string, unknown>;
  UserData?: Record<string, Record<string, unknown>>;
}

function text(value: unknown): string {
  if (value !== null && typeof value === "object" && "#text" in value) return String(value["#text"]);
  return String(value);
}

describe("readEvtx against SigmaHQ regression data", () => {
  const files = walk(SIGMA_DATA).filter((file) => file.endsWith(".evtx"));

  it("finds the regression data", () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it("matches every JSON twin on EventID, Channel, Computer and every EventData/UserData value", async () => {
    const mismatches: string[] = [];
    let compared = 0;
    for (const file of files) {
      const twinFile = readdirSync(dirname(file)).find((name) => name.endsWith(".json"));
      if (!twinFile) continue;
      const twins = (await readJsonDocuments(join(dirname(file), twinFile))).map(
        (document) => (document as { Event: TwinEvent }).Event,
      );
      const errors: EvtxError[] = [];
      const records = await collect(file, { onError: (error) => errors.push(error) });
      const label = file.slice(file.lastIndexOf("/") + 1);
      if (errors.length > 0) mismatches.push(`${label}: errors ${JSON.stringify(errors)}`);
      if (records.length !== twins.length) mismatches.push(`${label}: ${records.length} records, twin has ${twins.length}`);
      for (const twin of twins) {
        const record = records.find((r) => String(r.event.EventRecordID) === String(twin.System.EventRecordID));
        if (!record) {
          mismatches.push(`${label}: record ${twin.System.EventRecordID} missing`);
          continue;
        }
        const expected: [string, unknown][] = [
          ["EventID", twin.System.EventID],
          ["Channel", twin.System.Channel],
          ["Computer", twin.System.Computer],
          ...Object.entries(twin.EventData ?? {}).filter(([key]) => key !== "#attributes"),
          ...Object.values(twin.UserData ?? {}).flatMap((section) =>
            Object.entries(section).filter(([key]) => key !== "#attributes"),
          ),
        ];
        for (const [key, value] of expected) {
          compared++;
          if (text(record.event[key]) === text(value) || KNOWN_TWIN_EDITS.has(`${label}:${key}`)) continue;
          mismatches.push(`${label}: ${key} = ${JSON.stringify(record.event[key])}, twin ${JSON.stringify(value)}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(1000);
  });

  it("flattens System attributes with underscores", async () => {
    const file = files.find((f) => f.includes("image_load_win_werfaultsecure_dbgcore_dbghelp_load"));
    expect(file).toBeDefined();
    const [record] = await collect(file as string);
    expect(record?.event).toMatchObject({
      Provider_Name: "Microsoft-Windows-Sysmon",
      Provider_Guid: "5770385F-C22A-43E0-BF4C-06F5698FFBD9",
      TimeCreated_SystemTime: "2025-11-27T07:40:10.165324Z",
      Execution_ProcessID: 3544,
      Security_UserID: "S-1-5-18",
      EventID: 7,
      ImageLoaded: "C:\\Windows\\System32\\dbgcore.dll",
    });
    expect(record?.record_id).toBe(1);
    expect(record?.time).toBe("2025-11-27T07:40:10.165324Z");
  });
});

describe("readEvtx on sample logs", () => {
  const files = walk(SAMPLES).filter((file) => file.endsWith(".evtx"));

  it("parses every sample with the record count its chunk headers announce", async () => {
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const errors: EvtxError[] = [];
      const records = await collect(file, { verifyChecksums: true, onError: (error) => errors.push(error) });
      expect(errors, file).toEqual([]);
      expect(records.length, file).toBeGreaterThan(0);
      expect(records.length, file).toBe(countFromChunkHeaders(file));
      for (const record of records) {
        expect(typeof record.event.EventID, file).toBe("number");
        expect(Number.isNaN(Date.parse(record.time)), file).toBe(false);
      }
    }
  });

  it("reads unnamed Data as a list and UserData by element name", async () => {
    const application = await collect(join(SAMPLES, "DeepBlueCLI/many-events-application.evtx"));
    expect(application.some((record) => Array.isArray(record.event.Data))).toBe(true);
    const system = await collect(join(SAMPLES, "DeepBlueCLI/metasploit-psexec-native-target-system.evtx"));
    const cleared = system.find((record) => record.event.EventID === 104);
    expect(cleared?.event).toMatchObject({ SubjectUserName: "IEUser", Channel: "System" });
  });
});

describe("readEvtx on damaged files", () => {
  const source = join(SAMPLES, "DeepBlueCLI/smb-password-guessing-security.evtx");
  const directory = mkdtempSync(join(tmpdir(), "evtx-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  function chunkRecordIds(bytes: Buffer, chunk: number): [number, number] {
    const at = FILE_HEADER_SIZE + chunk * CHUNK_SIZE;
    return [Number(bytes.readBigUInt64LE(at + 24)), Number(bytes.readBigUInt64LE(at + 32))];
  }

  it("skips a damaged record, reports it and keeps every other chunk", async () => {
    const original = await collect(source);
    const bytes = readFileSync(source);
    const damagedChunk = 2;
    const chunkStart = FILE_HEADER_SIZE + damagedChunk * CHUNK_SIZE;
    const recordAt = bytes.indexOf(Buffer.from([0x2a, 0x2a, 0, 0]), chunkStart + CHUNK_SIZE / 2);
    expect(recordAt).toBeGreaterThan(chunkStart);
    expect(recordAt).toBeLessThan(chunkStart + CHUNK_SIZE);
    bytes.fill(0xff, recordAt - 8, recordAt + 56);
    const damaged = join(directory, "damaged-record.evtx");
    writeFileSync(damaged, bytes);

    const errors: EvtxError[] = [];
    const records = await collect(damaged, { onError: (error) => errors.push(error) });
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((error) => error.chunk === damagedChunk)).toBe(true);

    const [first, last] = chunkRecordIds(bytes, damagedChunk);
    const kept = new Set(records.map((record) => record.record_id));
    const outside = original.filter((record) => record.record_id < first || record.record_id > last);
    expect(outside.length).toBeGreaterThan(0);
    expect(outside.every((record) => kept.has(record.record_id))).toBe(true);
    const inside = records.filter((record) => record.record_id >= first && record.record_id <= last);
    const insideOriginal = original.filter((record) => record.record_id >= first && record.record_id <= last);
    expect(inside.length).toBeGreaterThan(0);
    expect(inside.length).toBeLessThan(insideOriginal.length);
    expect(records.length).toBeLessThan(original.length);

    const checked: EvtxError[] = [];
    await collect(damaged, { verifyChecksums: true, onError: (error) => checked.push(error) });
    expect(checked).toEqual([{ chunk: damagedChunk, message: "chunk record checksum mismatch" }]);
  });

  it("skips a chunk whose signature is destroyed", async () => {
    const original = await collect(source);
    const bytes = readFileSync(source);
    const damagedChunk = 1;
    const [first, last] = chunkRecordIds(bytes, damagedChunk);
    bytes.fill(0x41, FILE_HEADER_SIZE + damagedChunk * CHUNK_SIZE, FILE_HEADER_SIZE + damagedChunk * CHUNK_SIZE + 8);
    const damaged = join(directory, "damaged-chunk.evtx");
    writeFileSync(damaged, bytes);

    const errors: EvtxError[] = [];
    const records = await collect(damaged, { onError: (error) => errors.push(error) });
    expect(errors).toEqual([{ chunk: damagedChunk, message: "bad chunk signature" }]);
    const expected = original.filter((record) => record.record_id < first || record.record_id > last);
    expect(records.map((record) => record.record_id)).toEqual(expected.map((record) => record.record_id));
  });

  it("keeps the whole records of a file cut off mid-chunk", async () => {
    const original = await collect(source);
    const bytes = readFileSync(source);
    const cutChunk = 2;
    const [first] = chunkRecordIds(bytes, cutChunk);
    const truncated = join(directory, "truncated.evtx");
    writeFileSync(truncated, bytes.subarray(0, FILE_HEADER_SIZE + cutChunk * CHUNK_SIZE + CHUNK_SIZE / 2));

    const errors: EvtxError[] = [];
    const records = await collect(truncated, { onError: (error) => errors.push(error) });
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((error) => error.chunk === cutChunk)).toBe(true);
    expect(errors[0]?.message).toMatch(/truncated chunk/);
    const beforeCut = original.filter((record) => record.record_id < first);
    expect(records.slice(0, beforeCut.length)).toEqual(beforeCut);
    expect(records.length).toBeGreaterThan(beforeCut.length);
    expect(records.length).toBeLessThan(original.length);
  });

  it("rejects a file without the EVTX signature", async () => {
    const notEvtx = join(directory, "not.evtx");
    copyFileSync(source, notEvtx);
    const bytes = readFileSync(notEvtx);
    bytes.write("NotAFile", 0, "latin1");
    writeFileSync(notEvtx, bytes);
    await expect(collect(notEvtx)).rejects.toThrow(/not an EVTX file/);
  });
});
