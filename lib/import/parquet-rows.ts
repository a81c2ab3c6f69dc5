// Rows of a Parquet file (hyparquet, the reader maintained with the hyparquet-writer the
// exports use), read so that memory stays within IMPORT_PARQUET_MEMORY_BYTES however large
// the file and whatever it declares: the metadata is sized before it is decoded
// (parquet/thrift-cost.ts), each row group's page headers before its pages
// (parquet/page-scan.ts), and the group is read in slices of rows that fit
// (parquet/row-slices.ts); pages unpack to no more than they declare
// (parquet/decompressors.ts). Values come out as JSON would give them: 64-bit integers as
// numbers, absent (null) columns left out of the row.
import { asyncBufferFromFile, parquetMetadata, parquetReadObjects, parquetSchema, type AsyncBuffer, type FileMetaData } from "hyparquet";
import { env } from "@/lib/config/env";
import type { Line } from "./file-values";
import { UnreadableFileError } from "./import-errors";
import { BOUNDED_DECOMPRESSORS } from "./parquet/decompressors";
import { scanRowGroup } from "./parquet/page-scan";
import { mb, planRowSlices } from "./parquet/row-slices";
import { ThriftShapeError, ThriftTruncatedError, thriftStructCost } from "./parquet/thrift-cost";

const SETTING = "IMPORT_PARQUET_MEMORY_BYTES";
/** hyparquet turns the decoded Thrift into named objects and a schema tree, both alive at once (measured: the named ones take less than the Thrift). */
const METADATA_FACTOR = 2;

function plain(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === "object" && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The file's metadata, sized before hyparquet decodes it; returns it and its estimated memory. */
async function readMetadata(file: AsyncBuffer, budget: number): Promise<{ metadata: FileMetaData; cost: number }> {
  if (file.byteLength < 12) throw new UnreadableFileError("invalid Parquet file: shorter than its header and footer");
  const tail = new DataView(await file.slice(file.byteLength - 8, file.byteLength));
  if (tail.getUint32(4, true) !== 0x31524150) throw new UnreadableFileError("invalid Parquet file: it does not end with PAR1");
  const length = tail.getUint32(0, true);
  if (length > file.byteLength - 12) throw new UnreadableFileError(`invalid Parquet file: its metadata length ${length} exceeds the file`);
  const footer = await file.slice(file.byteLength - 8 - length, file.byteLength);
  let cost: number;
  try {
    cost = thriftStructCost(new DataView(footer, 0, length), 0).cost * METADATA_FACTOR;
  } catch (err) {
    if (err instanceof ThriftShapeError || err instanceof ThriftTruncatedError) throw new UnreadableFileError(`invalid Parquet metadata: ${err.message}`);
    throw err;
  }
  if (cost > budget) {
    throw new UnreadableFileError(`the Parquet file's metadata (${length} bytes) would take about ${mb(cost)} of memory to read; the limit is ${mb(budget)} (${SETTING})`);
  }
  try {
    return { metadata: parquetMetadata(footer), cost };
  } catch (err) {
    throw new UnreadableFileError(`invalid Parquet file: ${message(err)}`);
  }
}

export async function* parquetRows(path: string, opts: { memoryBytes?: number } = {}): AsyncGenerator<Line> {
  const budget = opts.memoryBytes ?? env().IMPORT_PARQUET_MEMORY_BYTES;
  const file = await asyncBufferFromFile(path);
  const { metadata, cost: metadataCost } = await readMetadata(file, budget);
  let schema;
  try {
    schema = parquetSchema(metadata);
  } catch (err) {
    throw new UnreadableFileError(`invalid Parquet file: ${message(err)}`);
  }
  let groupStart = 0;
  for (const [index, group] of metadata.row_groups.entries()) {
    const groupRows = Number(group.num_rows);
    let slices;
    try {
      if (!Number.isSafeInteger(groupRows) || groupRows < 0) throw new UnreadableFileError(`invalid Parquet file: row group ${index + 1} declares ${group.num_rows} rows`);
      if (groupRows > 0 && !group.columns?.length) throw new UnreadableFileError(`invalid Parquet file: row group ${index + 1} declares ${groupRows} rows and no columns`);
      const columns = await scanRowGroup(file, schema, group, index);
      // the metadata stays in memory while the group is read
      slices = planRowSlices(columns, groupRows, { budget: budget - metadataCost, group: index, setting: SETTING });
    } catch (err) {
      // metadata of any shape: what is not one of ours is still the file's fault
      throw err instanceof UnreadableFileError ? err : new UnreadableFileError(`invalid Parquet file: row group ${index + 1}: ${message(err)}`);
    }
    for (const slice of slices) {
      const rowStart = groupStart + slice.start;
      const rowEnd = groupStart + slice.end;
      let rows;
      try {
        rows = await parquetReadObjects({ file, metadata, rowStart, rowEnd, compressors: BOUNDED_DECOMPRESSORS });
      } catch (err) {
        throw new UnreadableFileError(`Parquet rows ${rowStart + 1}–${rowEnd}: ${message(err)}`);
      }
      for (let i = 0; i < rows.length; i++) yield { line: rowStart + i + 1, value: plain(rows[i]) };
    }
    groupStart += groupRows;
  }
}
