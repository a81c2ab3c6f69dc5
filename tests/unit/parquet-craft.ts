// Hand-made Parquet files for the import's limits: one string column whose pages and
// metadata say what the test wants, true or not. Layout and Thrift field ids from
// https://github.com/apache/parquet-format/blob/master/src/main/thrift/parquet.thrift
import { ByteWriter } from "hyparquet-writer";
import { serializeTCompactProtocol } from "hyparquet-writer/src/thrift.js";

const PAGE = { DATA_PAGE: 0, DICTIONARY_PAGE: 2 } as const;
const ENCODING = { PLAIN: 0, RLE: 3, RLE_DICTIONARY: 8 } as const;
const CODEC = { UNCOMPRESSED: 0, SNAPPY: 1, GZIP: 2 } as const;
const BYTE_ARRAY = 6;
const REQUIRED = 0;
const UTF8 = 0;

export type CraftedPage =
  | { kind: "dictionary"; values: string[] }
  /** `count` values all equal to dictionary entry 0: a run-length run of a few bytes */
  | { kind: "run"; count: number; declaredValues?: number }
  | { kind: "plain"; values: string[] };

type Thrift = Record<string, unknown>;

function serialize(value: Thrift): Uint8Array {
  const w = new ByteWriter();
  serializeTCompactProtocol(w, value);
  return new Uint8Array(w.getBuffer());
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

function pageData(page: CraftedPage): { bytes: Uint8Array; values: number } {
  if (page.kind === "run") {
    // bit width 1, then one RLE run: header (count << 1), the value in one byte
    return { bytes: Uint8Array.from([1, ...varint(page.count * 2), 0]), values: page.declaredValues ?? page.count };
  }
  const parts = page.values.map((v) => {
    const text = new TextEncoder().encode(v);
    const b = new Uint8Array(4 + text.length);
    new DataView(b.buffer).setUint32(0, text.length, true);
    b.set(text, 4);
    return b;
  });
  return { bytes: Buffer.concat(parts), values: page.values.length };
}

/**
 * A file with one row group of one REQUIRED string column "prompt".
 * `compress` packs each page's data (default: stored as is); `declared` overrides what the
 * page headers and row group say.
 */
export function craftParquet(opts: {
  pages: CraftedPage[];
  rows?: number;
  codec?: keyof typeof CODEC;
  compress?: (data: Uint8Array) => Uint8Array;
  declaredUncompressed?: number;
  /** extra Thrift appended to the file metadata's key-value list (field 5) */
  metadataPadding?: Thrift[];
}): Uint8Array {
  const chunks: Uint8Array[] = [Buffer.from("PAR1")];
  let offset = 4;
  let dictionaryOffset: bigint | undefined;
  let dataOffset: bigint | undefined;
  let rows = 0;
  for (const page of opts.pages) {
    const { bytes, values } = pageData(page);
    const stored = opts.compress ? opts.compress(bytes) : bytes;
    const header: Thrift = {
      field_1: page.kind === "dictionary" ? PAGE.DICTIONARY_PAGE : PAGE.DATA_PAGE,
      field_2: opts.declaredUncompressed ?? bytes.length,
      field_3: stored.length,
      ...(page.kind === "dictionary"
        ? { field_7: { field_1: values, field_2: ENCODING.PLAIN } }
        : { field_5: { field_1: values, field_2: page.kind === "run" ? ENCODING.RLE_DICTIONARY : ENCODING.PLAIN, field_3: ENCODING.RLE, field_4: ENCODING.RLE } }),
    };
    if (page.kind === "dictionary") dictionaryOffset = BigInt(offset);
    else {
      dataOffset ??= BigInt(offset);
      rows += values;
    }
    const h = serialize(header);
    chunks.push(h, stored);
    offset += h.length + stored.length;
  }
  const chunkStart = dictionaryOffset ?? dataOffset!;
  const chunkSize = BigInt(offset) - chunkStart;
  const numRows = BigInt(opts.rows ?? rows);
  const metadata: Thrift = {
    field_1: 1,
    field_2: [
      { field_4: "root", field_5: 1 },
      { field_1: BYTE_ARRAY, field_3: REQUIRED, field_4: "prompt", field_6: UTF8 },
    ],
    field_3: numRows,
    field_4: [
      {
        field_1: [
          {
            field_2: chunkStart,
            field_3: {
              field_1: BYTE_ARRAY,
              field_2: [ENCODING.PLAIN, ENCODING.RLE_DICTIONARY],
              field_3: ["prompt"],
              field_4: CODEC[opts.codec ?? "UNCOMPRESSED"],
              field_5: numRows,
              field_6: chunkSize,
              field_7: chunkSize,
              field_9: dataOffset!,
              ...(dictionaryOffset !== undefined ? { field_11: dictionaryOffset } : {}),
            },
          },
        ],
        field_2: chunkSize,
        field_3: numRows,
      },
    ],
    ...(opts.metadataPadding ? { field_5: opts.metadataPadding } : {}),
  };
  const footer = serialize(metadata);
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, footer.length, true);
  chunks.push(footer, length, Buffer.from("PAR1"));
  return Buffer.concat(chunks);
}
