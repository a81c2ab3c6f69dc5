// Parquet's metadata and page headers are Thrift compact-protocol structs, decoded by
// hyparquet into JavaScript objects. A few bytes can declare a lot (an empty struct is one
// byte, a JS object some 60), so before hyparquet decodes one this walks it without building
// anything and says where it ends and about how much memory decoding it would take.
// Encoding: https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md

const STOP = 0;
const TRUE = 1;
const FALSE = 2;
const BYTE = 3;
const I16 = 4;
const I32 = 5;
const I64 = 6;
const DOUBLE = 7;
const BINARY = 8;
const LIST = 9;
const STRUCT = 12;

/** Estimated bytes of what hyparquet builds for each (V8 objects, properties, BigInts, views). */
const OBJECT_BYTES = 64;
const PROPERTY_BYTES = 16;
const BIGINT_BYTES = 32;
const VIEW_BYTES = 96;
const ARRAY_BYTES = 32;
const ELEMENT_BYTES = 8;

/** Deeper than this is no Parquet struct (hyparquet would recurse as deep). */
export const MAX_THRIFT_DEPTH = 64;

export class ThriftShapeError extends Error {}
/** The struct runs past the bytes given: read more and walk again. */
export class ThriftTruncatedError extends Error {}

type Walk = { view: DataView; offset: number; cost: number };

function byte(w: Walk): number {
  if (w.offset >= w.view.byteLength) throw new ThriftTruncatedError("thrift struct runs past the bytes read");
  return w.view.getUint8(w.offset++);
}

function varint(w: Walk): number {
  let result = 0;
  for (let shift = 0; ; shift += 7) {
    const b = byte(w);
    if (shift < 49) result += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) return result;
    if (shift > 63) throw new ThriftShapeError("thrift varint longer than 10 bytes");
  }
}

function element(w: Walk, type: number, depth: number): void {
  switch (type) {
    case TRUE:
    case FALSE:
      return;
    case BYTE:
      byte(w);
      return;
    case I16:
    case I32:
      varint(w);
      return;
    case I64:
      varint(w);
      w.cost += BIGINT_BYTES;
      return;
    case DOUBLE:
      if (w.offset + 8 > w.view.byteLength) throw new ThriftTruncatedError("thrift struct runs past the bytes read");
      w.offset += 8;
      return;
    case BINARY: {
      const length = varint(w);
      if (w.offset + length > w.view.byteLength) throw new ThriftTruncatedError("thrift struct runs past the bytes read");
      w.offset += length;
      w.cost += VIEW_BYTES;
      return;
    }
    case LIST: {
      const head = byte(w);
      const elemType = head & 0x0f;
      const size = head >> 4 === 15 ? varint(w) : head >> 4;
      w.cost += ARRAY_BYTES + ELEMENT_BYTES * size;
      const inner = elemType === TRUE || elemType === FALSE ? BYTE : elemType;
      for (let i = 0; i < size; i++) element(w, inner, depth + 1);
      return;
    }
    case STRUCT:
      struct(w, depth + 1);
      return;
    default:
      // maps, sets and UUIDs are in no Parquet struct, and hyparquet refuses them too
      throw new ThriftShapeError(`thrift type ${type} is not used by Parquet`);
  }
}

function struct(w: Walk, depth: number): void {
  if (depth > MAX_THRIFT_DEPTH) throw new ThriftShapeError(`thrift structs nested deeper than ${MAX_THRIFT_DEPTH}`);
  w.cost += OBJECT_BYTES;
  for (;;) {
    const head = byte(w);
    const type = head & 0x0f;
    if (type === STOP) return;
    if (head >> 4 === 0) varint(w); // a field id that is no small delta
    w.cost += PROPERTY_BYTES;
    element(w, type, depth);
  }
}

/**
 * Walks one struct at `offset`: its end and the estimated bytes decoding it takes.
 * Throws ThriftTruncatedError when it runs past the view, ThriftShapeError when it is no
 * struct Parquet could hold.
 */
export function thriftStructCost(view: DataView, offset: number): { end: number; cost: number } {
  const w: Walk = { view, offset, cost: 0 };
  struct(w, 0);
  return { end: w.offset, cost: w.cost };
}
