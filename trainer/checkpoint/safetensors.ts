// The safetensors format (huggingface/safetensors, "Format"): an 8-byte little-endian
// header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, and
// optionally "__metadata__": {string: string}}, then the raw little-endian tensor bytes,
// offsets relative to the end of the header. Written as F32 with names sorted and the
// header padded with spaces to 8 bytes, so the same tensors always give the same bytes.
// Read: F32, F16, BF16, F64, I32, I64 (converted to float32 or int32).
import fs from "node:fs";

export type SafeTensor = { dtype: string; shape: number[]; data: Float32Array | Int32Array };

type HeaderEntry = { dtype: string; shape: number[]; data_offsets: [number, number] };

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I32: 4, I64: 8 };

export function encodeSafetensors(tensors: Map<string, { shape: number[]; data: Float32Array }>, metadata?: Record<string, string>): Buffer {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (expected !== t.data.length) throw new Error(`${name}: shape ${JSON.stringify(t.shape)} does not hold ${t.data.length} values`);
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, "utf8");
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(out, at);
    at += d.byteLength;
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function decodeData(dtype: string, bytes: Buffer): Float32Array | Int32Array {
  const n = bytes.length / BYTES[dtype]!;
  switch (dtype) {
    case "F32": {
      // A byte copy into a fresh, aligned buffer (this platform is little-endian, as the format).
      const out = new Float32Array(n);
      new Uint8Array(out.buffer).set(bytes);
      return out;
    }
    case "F64": return Float32Array.from({ length: n }, (_, i) => bytes.readDoubleLE(i * 8));
    case "F16": return Float32Array.from({ length: n }, (_, i) => halfToFloat(bytes.readUInt16LE(i * 2)));
    case "BF16": {
      const out = new Float32Array(n);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = bytes.readUInt16LE(i * 2) << 16;
      return out;
    }
    case "I32": return Int32Array.from({ length: n }, (_, i) => bytes.readInt32LE(i * 4));
    case "I64": return Int32Array.from({ length: n }, (_, i) => Number(bytes.readBigInt64LE(i * 8)));
    default: throw new Error(`unsupported safetensors dtype ${dtype}`);
  }
}

export function decodeSafetensors(buf: Buffer): { tensors: Map<string, SafeTensor>; metadata: Record<string, string> } {
  if (buf.length < 8) throw new Error("not a safetensors file: shorter than its header length");
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) throw new Error("not a safetensors file: header runs past the end");
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8")) as Record<string, HeaderEntry | Record<string, string>>;
  const base = 8 + n;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: [begin, end] } = entry as HeaderEntry;
    if (!(dtype in BYTES)) throw new Error(`${name}: unsupported dtype ${dtype}`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES[dtype]! || base + end > buf.length) throw new Error(`${name}: data_offsets do not match shape ${JSON.stringify(shape)}`);
    tensors.set(name, { dtype, shape, data: decodeData(dtype, buf.subarray(base + begin, base + end)) });
  }
  return { tensors, metadata };
}

/**
 * The tensors a safetensors file holds (name → dtype and shape), from its header alone: the
 * data is not read, so a checkpoint of gigabytes is checked in milliseconds. Each entry's
 * dtype, and its data_offsets against its shape and the file's size, are checked as
 * decodeSafetensors does.
 */
export function readSafetensorsHeader(file: string): Map<string, { dtype: string; shape: number[] }> {
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(8);
    if (size < 8 || fs.readSync(fd, head, 0, 8, 0) !== 8) throw new Error("not a safetensors file: shorter than its header length");
    const n = Number(head.readBigUInt64LE(0));
    if (8 + n > size || n > 100 * 1024 * 1024) throw new Error("not a safetensors file: header runs past the end");
    const json = Buffer.alloc(n);
    fs.readSync(fd, json, 0, n, 8);
    let header: Record<string, HeaderEntry | Record<string, string>>;
    try {
      header = JSON.parse(json.toString("utf8"));
    } catch {
      throw new Error("not a safetensors file: its header is not JSON");
    }
    const out = new Map<string, { dtype: string; shape: number[] }>();
    for (const [name, entry] of Object.entries(header)) {
      if (name === "__metadata__") continue;
      const { dtype, shape, data_offsets: offsets } = entry as HeaderEntry;
      if (!(dtype in BYTES)) throw new Error(`${name}: unsupported dtype ${dtype}`);
      if (!Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2) throw new Error(`${name}: no shape or data_offsets`);
      const count = shape.reduce((a, b) => a * b, 1);
      if (offsets[1] - offsets[0] !== count * BYTES[dtype]! || 8 + n + offsets[1] > size) throw new Error(`${name}: data_offsets do not match shape ${JSON.stringify(shape)}`);
      out.set(name, { dtype, shape });
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}
