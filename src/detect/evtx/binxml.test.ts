import { describe, expect, it } from "vitest";
import { ChunkDecoder } from "./binxml.js";
import { flattenEvent } from "./parser.js";

/** Writes binary XML into a chunk-sized buffer; names are stored inline at first use and referenced after. */
class ChunkWriter {
  readonly buf = Buffer.alloc(65536);
  p = 512;
  private readonly names = new Map<string, number>();

  u8(value: number): this {
    this.p = this.buf.writeUInt8(value, this.p);
    return this;
  }
  u16(value: number): this {
    this.p = this.buf.writeUInt16LE(value, this.p);
    return this;
  }
  u32(value: number): this {
    this.p = this.buf.writeUInt32LE(value, this.p);
    return this;
  }
  u64(value: bigint): this {
    this.p = this.buf.writeBigUInt64LE(value, this.p);
    return this;
  }
  raw(bytes: Buffer | number[]): this {
    const data = Buffer.from(bytes);
    data.copy(this.buf, this.p);
    this.p += data.length;
    return this;
  }
  utf16(text: string): this {
    return this.raw(Buffer.from(text, "utf16le"));
  }
  name(text: string): this {
    const known = this.names.get(text);
    if (known !== undefined) return this.u32(known);
    const offset = this.p + 4;
    this.names.set(text, offset);
    return this.u32(offset).u32(0).u16(0).u16(text.length).utf16(text).u16(0);
  }
  fragment(): this {
    return this.raw([0x0f, 0x01, 0x01, 0x00]);
  }
  open(name: string, attributes: [string, (w: ChunkWriter) => void][] = [], dependency = true): this {
    this.u8(attributes.length > 0 ? 0x41 : 0x01);
    if (dependency) this.u16(0xffff);
    this.u32(0).name(name);
    if (attributes.length === 0) return this;
    const sizeAt = this.p;
    this.u32(0);
    attributes.forEach(([attribute, write], index) => {
      this.u8(index < attributes.length - 1 ? 0x46 : 0x06).name(attribute);
      write(this);
    });
    this.buf.writeUInt32LE(this.p - sizeAt - 4, sizeAt);
    return this;
  }
  value(text: string, more = false): this {
    return this.u8(more ? 0x45 : 0x05).u8(0x01).u16(text.length).utf16(text);
  }
  sub(index: number, type: number, optional = false): this {
    return this.u8(optional ? 0x0e : 0x0d).u16(index).u8(type);
  }
  leaf(name: string, text: string, attributes: [string, (w: ChunkWriter) => void][] = []): this {
    return this.open(name, attributes).u8(0x02).value(text).u8(0x04);
  }
}

const named = (name: string) => [["Name", (w: ChunkWriter) => w.value(name)]] as [string, (w: ChunkWriter) => void][];

describe("ChunkDecoder", () => {
  it("decodes plain elements, entity and character references, CDATA and PIs", () => {
    const w = new ChunkWriter();
    const start = w.p;
    w.fragment();
    w.u8(0x0a).name("xml-stylesheet").u8(0x0b).u16(4).utf16("href");
    w.open("Event", [["xmlns", (x) => x.value("http://schemas.microsoft.com/win/2004/08/events/event")]]).u8(0x02);
    w.open("System").u8(0x02).leaf("EventID", "4688").leaf("Channel", "Security");
    w.open("Provider", [["Name", (x) => x.value("A", true).u8(0x48).u16(0x26).value("B")]]).u8(0x03);
    w.u8(0x04);
    w.open("EventData").u8(0x02);
    w.open("Data", named("CommandLine")).u8(0x02).value("a ", true).u8(0x49).name("amp").value(" b").u8(0x04);
    w.open("Data", named("Script")).u8(0x02).u8(0x07).u16(3).utf16("<x>").u8(0x04);
    w.open("Data").u8(0x02).value("first").u8(0x04);
    w.open("Data").u8(0x02).value("second").u8(0x04);
    w.u8(0x04).u8(0x04).u8(0x00);

    const event = flattenEvent(new ChunkDecoder(w.buf).decodeRecord(start, w.p));
    expect(event).toEqual({
      EventID: "4688",
      Channel: "Security",
      Provider_Name: "A&B",
      CommandLine: "a & b",
      Script: "<x>",
      Data: ["first", "second"],
    });
  });

  it("instantiates a template with typed values, a null optional value and nested Binary XML", () => {
    const w = new ChunkWriter();
    const start = w.p;
    w.fragment();
    w.u8(0x0c).u8(0x01).u32(0x1234);
    w.u32(w.p + 4); // definition follows inline
    w.u32(0).raw(Buffer.alloc(16)).u32(0);
    const definitionSizeAt = w.p - 4;
    const bodyStart = w.p;
    w.fragment();
    w.open("Event").u8(0x02);
    w.open("System").u8(0x02);
    w.open("EventID").u8(0x02).sub(0, 0x06).u8(0x04);
    w.open("Correlation", [["ActivityID", (x) => x.sub(1, 0x0f, true)]]).u8(0x03);
    w.open("Security", [["UserID", (x) => x.sub(2, 0x13, true)]]).u8(0x03);
    w.open("TimeCreated", [["SystemTime", (x) => x.sub(3, 0x11)]]).u8(0x03);
    w.u8(0x04);
    w.open("EventData").u8(0x02);
    for (const [index, field, type] of [
      [4, "Guid", 0x0f],
      [5, "Keywords", 0x15],
      [6, "Enabled", 0x0d],
      [7, "Delta", 0x03],
      [8, "When", 0x12],
      [9, "Names", 0x81],
      [10, "Blob", 0x0e],
      [11, "Pointer", 0x14],
    ] as const) {
      w.open("Data", named(field)).u8(0x02).sub(index, type).u8(0x04);
    }
    w.u8(0x04);
    w.open("UserData").u8(0x02).sub(12, 0x21).u8(0x04);
    w.u8(0x04).u8(0x00);
    w.buf.writeUInt32LE(w.p - bodyStart, definitionSizeAt);

    const sid = Buffer.from([1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0]);
    const guid = Buffer.from("33221100554477668899aabbccddeeff", "hex");
    const systemtime = Buffer.alloc(16);
    [2024, 3, 0, 9, 13, 45, 7, 250].forEach((part, i) => systemtime.writeUInt16LE(part, i * 2));
    // Nested Binary XML without dependency ids; its names are inline, so its bytes depend on where it lands.
    const writeNested = (x: ChunkWriter) =>
      x.fragment().open("Inner", [], false).u8(0x02).open("Leaf", [], false).u8(0x02).value("deep").u8(0x04).u8(0x04).u8(0x00);
    const dryRun = new ChunkWriter();
    writeNested(dryRun);
    const nestedLength = dryRun.p - 512;
    const names = Buffer.from("one\0two\0", "utf16le");
    const values: [number, Buffer][] = [
      [0x06, Buffer.from([0x10, 0x00])],
      [0x00, Buffer.alloc(0)],
      [0x13, sid],
      [0x11, Buffer.from("00d5e6a0e86dda01", "hex")],
      [0x0f, guid],
      [0x15, Buffer.from("0000000000000080", "hex")],
      [0x0d, Buffer.from([1, 0, 0, 0])],
      [0x03, Buffer.from([0xfe])],
      [0x12, systemtime],
      [0x81, names],
      [0x0e, Buffer.from([0xde, 0xad])],
      [0x14, Buffer.from([0xff, 0, 0, 0])],
      [0x21, Buffer.alloc(0)],
    ];
    w.u32(values.length);
    const nestedAt = values.reduce((at, [, data]) => at + data.length, w.p + values.length * 4);
    for (const [type, data] of values) w.u16(type === 0x21 ? nestedLength : data.length).u8(type).u8(0);
    for (const [type, data] of values) {
      if (type !== 0x21) w.raw(data);
    }
    expect(w.p).toBe(nestedAt);
    writeNested(w);

    const event = flattenEvent(new ChunkDecoder(w.buf).decodeRecord(start, w.p));
    expect(event).toEqual({
      EventID: 16,
      Security_UserID: "S-1-5-32-544",
      TimeCreated_SystemTime: expect.stringMatching(/^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
      Guid: "00112233-4455-6677-8899-AABBCCDDEEFF",
      Keywords: "0x8000000000000000",
      Enabled: true,
      Delta: -2,
      When: "2024-03-09T13:45:07.250Z",
      Names: ["one", "two"],
      Blob: "DEAD",
      Pointer: "0xff",
      Leaf: "deep",
    });
    expect(event).not.toHaveProperty("Correlation_ActivityID");
  });

  it("rejects an unknown token instead of guessing", () => {
    const w = new ChunkWriter();
    const start = w.p;
    w.fragment().open("Event").u8(0x02).u8(0x1f).u8(0x04).u8(0x00);
    expect(() => new ChunkDecoder(w.buf).decodeRecord(start, w.p)).toThrow(/unexpected token 0x1f/);
  });
});
