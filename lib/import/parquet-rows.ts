// Rows of a Parquet file, one row group at a time (hyparquet, the reader maintained with
// the hyparquet-writer the exports use), so memory holds one row group however large the
// file. Values come out as JSON would give them: 64-bit integers as numbers, absent
// (null) columns left out of the row.
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import * as zlib from "node:zlib";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type Compressors } from "hyparquet";
import type { Line } from "./file-values";
import { UnreadableFileError } from "./import-errors";

// Snappy is built into hyparquet; these come with Node (zstd from Node 22.15 on).
const zstd = (zlib as { zstdDecompressSync?: (b: Uint8Array) => Buffer }).zstdDecompressSync;
const COMPRESSORS: Compressors = {
  GZIP: (input) => new Uint8Array(gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(brotliDecompressSync(input)),
  ...(zstd ? { ZSTD: (input: Uint8Array) => new Uint8Array(zstd(input)) } : {}),
};

function plain(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === "object" && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

export async function* parquetRows(file: string): AsyncGenerator<Line> {
  const buffer = await asyncBufferFromFile(file);
  let metadata;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (err) {
    throw new UnreadableFileError(`invalid Parquet file: ${err instanceof Error ? err.message : String(err)}`);
  }
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows;
    try {
      rows = await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd, compressors: COMPRESSORS });
    } catch (err) {
      throw new UnreadableFileError(`Parquet rows ${rowStart + 1}–${rowEnd}: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (let i = 0; i < rows.length; i++) yield { line: rowStart + i + 1, value: plain(rows[i]) };
    rowStart = rowEnd;
  }
}
