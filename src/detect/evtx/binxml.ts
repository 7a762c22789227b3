// Binary XML decoding for EVTX chunks. Every offset here is relative to the start of the 64 KiB chunk,
// because name and template references inside binary XML point into the chunk.

export type XValue = string | number | boolean | null | string[] | number[] | XElement[];

export interface XAttribute {
  name: string;
  value: XValue;
}

export interface XElement {
  name: string;
  attributes: XAttribute[];
  children: (XElement | XValue)[];
}

interface TemplateText {
  kind: "text";
  value: XValue;
}
interface TemplateSubstitution {
  kind: "sub";
  index: number;
  optional: boolean;
}
interface TemplateElement {
  kind: "el";
  name: string;
  attributes: { name: string; parts: TemplatePart[] }[];
  children: TemplateNode[];
}
interface TemplateResolved {
  kind: "resolved";
  elements: XElement[];
}
type TemplatePart = TemplateText | TemplateSubstitution;
type TemplateNode = TemplatePart | TemplateElement | TemplateResolved;

export class BinXmlError extends Error {}

const FILETIME_UNIX_EPOCH = 116444736000000000n;
const MAX_DEPTH = 64;

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** FILETIME (100 ns ticks since 1601) as ISO-8601 UTC with microseconds, the precision SigmaHQ's JSON uses. */
export function filetimeToIso(ticks: bigint): string {
  const since1970 = ticks - FILETIME_UNIX_EPOCH;
  const micros = since1970 / 10n;
  let seconds = micros / 1_000_000n;
  let fraction = micros % 1_000_000n;
  if (fraction < 0n) {
    fraction += 1_000_000n;
    seconds -= 1n;
  }
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) throw new BinXmlError(`FILETIME out of range: ${ticks}`);
  return `${date.toISOString().slice(0, 19)}.${fraction.toString().padStart(6, "0")}Z`;
}

function hex(bytes: Buffer): string {
  return bytes.toString("hex").toUpperCase();
}

function guidAt(buf: Buffer, p: number): string {
  const h = (start: number, end: number) => buf.subarray(p + start, p + end).toString("hex");
  const data1 = buf.readUInt32LE(p).toString(16).padStart(8, "0");
  const data2 = buf.readUInt16LE(p + 4).toString(16).padStart(4, "0");
  const data3 = buf.readUInt16LE(p + 6).toString(16).padStart(4, "0");
  return `${data1}-${data2}-${data3}-${h(8, 10)}-${h(10, 16)}`.toUpperCase();
}

function sidAt(buf: Buffer, p: number, size: number): string {
  if (size < 8) throw new BinXmlError("SID too short");
  const revision = buf.readUInt8(p);
  const count = buf.readUInt8(p + 1);
  if (8 + count * 4 > size) throw new BinXmlError("SID sub-authority count exceeds its size");
  const authority = buf.readUIntBE(p + 2, 6);
  const parts = [`S-${revision}-${authority}`];
  for (let i = 0; i < count; i++) parts.push(String(buf.readUInt32LE(p + 8 + i * 4)));
  return parts.join("-");
}

function systemtimeAt(buf: Buffer, p: number): string {
  const n = (i: number) => buf.readUInt16LE(p + i * 2);
  const pad = (v: number, w = 2) => String(v).padStart(w, "0");
  return `${pad(n(0), 4)}-${pad(n(1))}-${pad(n(3))}T${pad(n(4))}:${pad(n(5))}:${pad(n(6))}.${pad(n(7), 3)}Z`;
}

function int64(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

function utf16(buf: Buffer, start: number, end: number): string {
  const text = buf.toString("utf16le", start, end);
  const nul = text.indexOf("\0");
  return nul === -1 ? text : text.slice(0, nul);
}

const FIXED_SIZES: Record<number, number> = {
  0x03: 1, 0x04: 1, 0x05: 2, 0x06: 2, 0x07: 4, 0x08: 4, 0x09: 8, 0x0a: 8, 0x0b: 4, 0x0c: 8,
  0x0d: 4, 0x0f: 16, 0x11: 8, 0x12: 16, 0x14: 4, 0x15: 8,
};

export class ChunkDecoder {
  private readonly names = new Map<number, string>();
  private readonly templates = new Map<number, TemplateNode[]>();

  constructor(private readonly buf: Buffer) {}

  /** Decodes one record's binary XML (start..end) into its root element. */
  decodeRecord(start: number, end: number): XElement {
    const roots = this.resolveFragment(start, end, 0).nodes;
    const root = roots.find((node): node is XElement => isElement(node));
    if (!root) throw new BinXmlError("record has no root element");
    return root;
  }

  private check(p: number, size: number, end: number): void {
    if (p + size > end) throw new BinXmlError(`read past end at offset ${p}`);
  }

  private nameAt(offset: number): string {
    const cached = this.names.get(offset);
    if (cached !== undefined) return cached;
    this.check(offset, 8, this.buf.length);
    const count = this.buf.readUInt16LE(offset + 6);
    this.check(offset + 8, count * 2, this.buf.length);
    const name = this.buf.toString("utf16le", offset + 8, offset + 8 + count * 2);
    this.names.set(offset, name);
    return name;
  }

  /** Reads a name reference at p; returns the name and the position after it (skipping an inline name). */
  private readName(p: number, end: number): [string, number] {
    this.check(p, 4, end);
    const offset = this.buf.readUInt32LE(p);
    const after = p + 4;
    const name = this.nameAt(offset);
    if (offset === after) return [name, after + 8 + name.length * 2 + 2];
    return [name, after];
  }

  private resolveFragment(start: number, end: number, depth: number): { nodes: (XElement | XValue)[]; end: number } {
    const parsed = this.parseNodes(start, end, depth, []);
    return { nodes: instantiate(parsed.nodes, []), end: parsed.end };
  }

  /**
   * Parses a token stream until EOF or an end-element token. Substitutions stay symbolic so template
   * definitions can be cached and instantiated per record.
   */
  private parseNodes(
    start: number,
    end: number,
    depth: number,
    out: TemplateNode[],
  ): { nodes: TemplateNode[]; end: number; closed: boolean } {
    if (depth > MAX_DEPTH) throw new BinXmlError("binary XML nested too deeply");
    const buf = this.buf;
    let p = start;
    while (p < end) {
      const token = buf.readUInt8(p);
      switch (token & 0xbf) {
        case 0x00:
          return { nodes: out, end: p + 1, closed: false };
        case 0x0f:
          p += 4;
          break;
        case 0x01: {
          const parsed = this.parseElement(p, end, depth + 1);
          out.push(parsed.element);
          p = parsed.end;
          break;
        }
        case 0x04:
          return { nodes: out, end: p + 1, closed: true };
        case 0x05:
        case 0x07:
        case 0x08:
        case 0x09:
        case 0x0d:
        case 0x0e: {
          const parsed = this.parsePart(p, end);
          out.push(parsed.part);
          p = parsed.end;
          break;
        }
        case 0x0a: {
          p = this.readName(p + 1, end)[1];
          break;
        }
        case 0x0b: {
          this.check(p, 3, end);
          p += 3 + buf.readUInt16LE(p + 1) * 2;
          break;
        }
        case 0x0c: {
          const parsed = this.parseTemplateInstance(p, end, depth + 1);
          out.push({ kind: "resolved", elements: parsed.elements });
          p = parsed.end;
          break;
        }
        default:
          throw new BinXmlError(`unexpected token 0x${token.toString(16)} at offset ${p}`);
      }
    }
    return { nodes: out, end: p, closed: false };
  }

  private parsePart(p: number, end: number): { part: TemplatePart; end: number } {
    const buf = this.buf;
    const token = buf.readUInt8(p) & 0xbf;
    switch (token) {
      case 0x05: {
        this.check(p, 2, end);
        const type = buf.readUInt8(p + 1);
        if (type === 0x01) {
          this.check(p + 2, 2, end);
          const count = buf.readUInt16LE(p + 2);
          this.check(p + 4, count * 2, end);
          return { part: { kind: "text", value: utf16(buf, p + 4, p + 4 + count * 2) }, end: p + 4 + count * 2 };
        }
        if (type === 0x02) {
          const count = buf.readUInt16LE(p + 2);
          this.check(p + 4, count, end);
          return { part: { kind: "text", value: buf.toString("latin1", p + 4, p + 4 + count) }, end: p + 4 + count };
        }
        throw new BinXmlError(`unsupported value text type 0x${type.toString(16)}`);
      }
      case 0x07: {
        this.check(p, 3, end);
        const count = buf.readUInt16LE(p + 1);
        this.check(p + 3, count * 2, end);
        return { part: { kind: "text", value: utf16(buf, p + 3, p + 3 + count * 2) }, end: p + 3 + count * 2 };
      }
      case 0x08:
        this.check(p, 3, end);
        return { part: { kind: "text", value: String.fromCharCode(buf.readUInt16LE(p + 1)) }, end: p + 3 };
      case 0x09: {
        const [name, after] = this.readName(p + 1, end);
        return { part: { kind: "text", value: ENTITIES[name] ?? `&${name};` }, end: after };
      }
      case 0x0d:
      case 0x0e:
        this.check(p, 4, end);
        return { part: { kind: "sub", index: buf.readUInt16LE(p + 1), optional: token === 0x0e }, end: p + 4 };
      default:
        throw new BinXmlError(`unexpected value token 0x${token.toString(16)} at offset ${p}`);
    }
  }

  private parseElement(p: number, end: number, depth: number): { element: TemplateElement; end: number } {
    const buf = this.buf;
    const hasAttributes = (buf.readUInt8(p) & 0x40) !== 0;
    // token(1) [dependency id(2)] data size(4) name offset(4). The dependency id is absent inside Binary XML
    // substitution values and in some forwarded events, so the layout whose name reference is sound wins.
    const withDependency = this.plausibleNameRef(p + 7, end);
    if (!withDependency && !this.plausibleNameRef(p + 5, end)) {
      throw new BinXmlError(`element at offset ${p} has no readable name`);
    }
    const [name, afterName] = this.readName(withDependency ? p + 7 : p + 5, end);
    let q = afterName;
    const element: TemplateElement = { kind: "el", name, attributes: [], children: [] };
    if (hasAttributes) {
      this.check(q, 4, end);
      const listEnd = q + 4 + buf.readUInt32LE(q);
      if (listEnd > end) throw new BinXmlError("attribute list exceeds its fragment");
      q += 4;
      while (q < listEnd) {
        const token = buf.readUInt8(q);
        if ((token & 0xbf) !== 0x06) throw new BinXmlError(`expected attribute at offset ${q}`);
        const [attrName, afterName] = this.readName(q + 1, listEnd);
        q = afterName;
        const parts: TemplatePart[] = [];
        while (q < listEnd) {
          const t = buf.readUInt8(q) & 0xbf;
          if (t !== 0x05 && t !== 0x08 && t !== 0x09 && t !== 0x0d && t !== 0x0e) break;
          const parsed = this.parsePart(q, listEnd);
          parts.push(parsed.part);
          q = parsed.end;
        }
        element.attributes.push({ name: attrName, parts });
      }
    }
    this.check(q, 1, end);
    const close = buf.readUInt8(q);
    if (close === 0x03) return { element, end: q + 1 };
    if (close !== 0x02) throw new BinXmlError(`expected close of start element at offset ${q}`);
    const content = this.parseNodes(q + 1, end, depth, element.children);
    if (!content.closed) throw new BinXmlError(`element ${name} not closed`);
    return { element, end: content.end };
  }

  private plausibleNameRef(at: number, end: number): boolean {
    const buf = this.buf;
    if (at + 4 > end) return false;
    const offset = buf.readUInt32LE(at);
    if (offset !== at + 4 && (offset >= at || offset < 512)) return false;
    if (this.names.has(offset)) return true;
    if (offset + 8 > buf.length) return false;
    const count = buf.readUInt16LE(offset + 6);
    const terminator = offset + 8 + count * 2;
    return count > 0 && terminator + 2 <= buf.length && buf.readUInt16LE(terminator) === 0;
  }

  private templateAt(offset: number, depth: number): { nodes: TemplateNode[]; end: number } {
    // next template offset(4) guid(16) data size(4) data
    this.check(offset, 24, this.buf.length);
    const size = this.buf.readUInt32LE(offset + 20);
    const bodyEnd = offset + 24 + size;
    if (bodyEnd > this.buf.length) throw new BinXmlError("template definition exceeds chunk");
    const cached = this.templates.get(offset);
    if (cached) return { nodes: cached, end: bodyEnd };
    const nodes = this.parseNodes(offset + 24, bodyEnd, depth, []).nodes;
    this.templates.set(offset, nodes);
    return { nodes, end: bodyEnd };
  }

  private parseTemplateInstance(p: number, end: number, depth: number): { elements: XElement[]; end: number } {
    const buf = this.buf;
    this.check(p, 10, end);
    const definitionOffset = buf.readUInt32LE(p + 6);
    let q = p + 10;
    const template = this.templateAt(definitionOffset, depth);
    if (definitionOffset === q) q = template.end;
    this.check(q, 4, end);
    const count = buf.readUInt32LE(q);
    q += 4;
    this.check(q, count * 4, end);
    const descriptors: { size: number; type: number }[] = [];
    for (let i = 0; i < count; i++) {
      descriptors.push({ size: buf.readUInt16LE(q + i * 4), type: buf.readUInt8(q + i * 4 + 2) });
    }
    q += count * 4;
    const values: XValue[] = [];
    for (const { size, type } of descriptors) {
      this.check(q, size, end);
      values.push(this.decodeValue(type, q, size, depth));
      q += size;
    }
    const elements = instantiate(template.nodes, values).filter(isElement);
    return { elements, end: q };
  }

  private decodeValue(type: number, p: number, size: number, depth: number): XValue {
    const buf = this.buf;
    if (type === 0x00 || (size === 0 && type !== 0x01)) return null;
    if (type & 0x80) return this.decodeArray(type & 0x7f, p, size);
    const need = FIXED_SIZES[type];
    if (need !== undefined && size < need) throw new BinXmlError(`value of type 0x${type.toString(16)} too short`);
    switch (type) {
      case 0x01:
        return utf16(buf, p, p + size);
      case 0x02: {
        const text = buf.toString("latin1", p, p + size);
        const nul = text.indexOf("\0");
        return nul === -1 ? text : text.slice(0, nul);
      }
      case 0x03:
        return buf.readInt8(p);
      case 0x04:
        return buf.readUInt8(p);
      case 0x05:
        return buf.readInt16LE(p);
      case 0x06:
        return buf.readUInt16LE(p);
      case 0x07:
        return buf.readInt32LE(p);
      case 0x08:
        return buf.readUInt32LE(p);
      case 0x09:
        return int64(buf.readBigInt64LE(p));
      case 0x0a:
        return int64(buf.readBigUInt64LE(p));
      case 0x0b:
        return buf.readFloatLE(p);
      case 0x0c:
        return buf.readDoubleLE(p);
      case 0x0d:
        return buf.readUInt32LE(p) !== 0;
      case 0x0e:
        return hex(buf.subarray(p, p + size));
      case 0x0f:
        return guidAt(buf, p);
      case 0x10:
        return size === 8
          ? `0x${buf.readBigUInt64LE(p).toString(16).padStart(16, "0")}`
          : `0x${buf.readUInt32LE(p).toString(16).padStart(8, "0")}`;
      case 0x11:
        return filetimeToIso(buf.readBigUInt64LE(p));
      case 0x12:
        return systemtimeAt(buf, p);
      case 0x13:
        return sidAt(buf, p, size);
      case 0x14:
        return `0x${buf.readUInt32LE(p).toString(16)}`;
      case 0x15:
        return `0x${buf.readBigUInt64LE(p).toString(16)}`;
      case 0x21:
        return this.resolveFragment(p, p + size, depth + 1).nodes.filter(isElement);
      default:
        return hex(buf.subarray(p, p + size));
    }
  }

  private decodeArray(type: number, p: number, size: number): string[] | number[] {
    const buf = this.buf;
    if (type === 0x01) {
      const parts = buf.toString("utf16le", p, p + size).split("\0");
      if (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
      return parts;
    }
    const width = FIXED_SIZES[type] ?? (type === 0x10 ? (size % 8 === 0 ? 8 : 4) : 0);
    if (width === 0) return [hex(buf.subarray(p, p + size))];
    const items: (string | number)[] = [];
    for (let at = p; at + width <= p + size; at += width) {
      const item = this.decodeValue(type, at, width, MAX_DEPTH);
      items.push(typeof item === "number" ? item : String(item));
    }
    return items.every((item) => typeof item === "number") ? (items as number[]) : items.map(String);
  }
}

function isElement(node: unknown): node is XElement {
  return typeof node === "object" && node !== null && !Array.isArray(node) && "attributes" in node;
}

function instantiate(nodes: TemplateNode[], values: XValue[]): (XElement | XValue)[] {
  const out: (XElement | XValue)[] = [];
  for (const node of nodes) {
    switch (node.kind) {
      case "text":
        out.push(node.value);
        break;
      case "sub": {
        const value = values[node.index];
        if (value === undefined || value === null) break;
        if (Array.isArray(value) && value.length > 0 && value.every(isElement)) out.push(...(value as XElement[]));
        else out.push(value);
        break;
      }
      case "resolved":
        out.push(...node.elements);
        break;
      case "el": {
        const attributes: XAttribute[] = [];
        for (const attribute of node.attributes) {
          const value = joinParts(instantiate(attribute.parts, values));
          if (value !== null) attributes.push({ name: attribute.name, value });
        }
        out.push({ name: node.name, attributes, children: instantiate(node.children, values) });
        break;
      }
    }
  }
  return out;
}

/** Collapses text content to one value: a lone typed value keeps its type, several are concatenated. */
export function joinParts(parts: (XElement | XValue)[]): XValue {
  const values = parts.filter((part) => !isElement(part) && part !== null) as Exclude<XValue, null>[];
  if (values.length === 0) return null;
  if (values.length === 1) return values[0] ?? null;
  return values.map((value) => (Array.isArray(value) ? value.join(",") : String(value))).join("");
}

export { isElement };
