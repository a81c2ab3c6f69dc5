// The page headers of one row group, read before hyparquet decodes any page. What decoding
// allocates is told by them (values per page, uncompressed bytes) and a file may declare
// anything: a 1 KB page of run-length-encoded dictionary indexes can hold a million values.
// So each column chunk is walked the way hyparquet will read it (from its first page to the
// end of its byte range, header after header), in windows of the file, and turned into
// estimated costs (read-cost.ts) without decoding a page.
import type { AsyncBuffer, RowGroup, SchemaTree } from "hyparquet";
import { parquetHeader } from "hyparquet/src/column.js";
import { getTreePath, isFlatColumn } from "hyparquet/src/schema.js";
import { UnreadableFileError } from "../import-errors";
import { pageCost } from "./read-cost";
import { ThriftShapeError, ThriftTruncatedError, thriftStructCost } from "./thrift-cost";

/** Largest page, uncompressed: a page is decoded whole, so it is held whole. */
export const MAX_PAGE_BYTES = 64 * 1024 * 1024;
/** Largest page header (headers hold a few numbers and optional min/max statistics). */
export const MAX_PAGE_HEADER_BYTES = 1024 * 1024;
/** Most pages in one row group (a legitimate file has hundreds to a few thousand). */
export const MAX_GROUP_PAGES = 100_000;

const WINDOW_BYTES = 64 * 1024;
/** Values hyparquet parses into objects (JSON.parse, WKB to GeoJSON, variant decoding): more memory a byte than text. */
const PARSED_TYPES = new Set(["JSON", "GEOMETRY", "GEOGRAPHY", "VARIANT"]);

export type ColumnPages = {
  name: string;
  /** one value a row: hyparquet skips the pages before a slice and stops after it */
  flat: boolean;
  /** the chunk's bytes, which hyparquet reads whole for every slice */
  rawBytes: number;
  /** decoded on every read of the chunk: its dictionary, and every page of a nested column */
  fixedCost: number;
  /** flat columns: the row after each data page, and the page's cost */
  pageEnds: number[];
  pageCosts: number[];
  /** data values declared in all (each row has at least one in every column) */
  values: number;
};

/** Reads the file in windows, so a chunk of many small pages takes few reads. */
class Window {
  private start = 0;
  private bytes = new Uint8Array(0);
  constructor(
    private readonly file: AsyncBuffer,
    private readonly end: number,
  ) {}
  /** A view from `offset` on holding at least `want` bytes (fewer at the chunk's end). */
  async view(offset: number, want: number): Promise<DataView> {
    const needEnd = Math.min(offset + want, this.end);
    if (offset < this.start || needEnd > this.start + this.bytes.byteLength) {
      const readEnd = Math.min(Math.max(needEnd, offset + WINDOW_BYTES), this.end);
      this.bytes = new Uint8Array(await this.file.slice(offset, readEnd));
      this.start = offset;
    }
    const at = offset - this.start;
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + at, this.bytes.byteLength - at);
  }
  get limit(): number {
    return this.end;
  }
}

type Header = ReturnType<typeof parquetHeader> & { headerBytes: number; headerCost: number };

async function readHeader(window: Window, offset: number, where: string): Promise<Header> {
  for (let want = 4096; ; want *= 4) {
    const view = await window.view(offset, Math.min(want, MAX_PAGE_HEADER_BYTES));
    try {
      const { end, cost } = thriftStructCost(view, 0);
      const header = parquetHeader({ view, offset: 0 });
      return { ...header, headerBytes: end, headerCost: cost };
    } catch (err) {
      if (err instanceof ThriftShapeError) throw new UnreadableFileError(`invalid Parquet page header (${where}): ${err.message}`);
      if (!(err instanceof ThriftTruncatedError)) throw err;
      if (offset + view.byteLength >= window.limit) throw new UnreadableFileError(`invalid Parquet file: a page header (${where}) runs past the end of its column chunk`);
      if (view.byteLength >= MAX_PAGE_HEADER_BYTES) throw new UnreadableFileError(`a Parquet page header (${where}) is longer than ${MAX_PAGE_HEADER_BYTES} bytes`);
    }
  }
}

function checkSize(n: unknown, what: string, where: string): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new UnreadableFileError(`invalid Parquet file: ${what} of a page (${where}) is ${String(n)}`);
  return n;
}

/** Every column chunk's pages in row group `index`, checked against the limits and its declared rows. */
export async function scanRowGroup(file: AsyncBuffer, schema: SchemaTree, group: RowGroup, index: number): Promise<ColumnPages[]> {
  const groupRows = Number(group.num_rows);
  let pagesInGroup = 0;
  const columns: ColumnPages[] = [];
  for (const chunk of group.columns) {
    const meta = chunk.meta_data;
    if (!meta) throw new UnreadableFileError(`invalid Parquet file: row group ${index + 1} has a column without metadata`);
    const name = meta.path_in_schema.join(".");
    const where = `row group ${index + 1}, column ${name}`;
    let flat: boolean;
    let parsed: boolean;
    try {
      const schemaPath = getTreePath(schema, meta.path_in_schema);
      flat = isFlatColumn(schemaPath);
      parsed = schemaPath.some((s) => PARSED_TYPES.has(s.element.converted_type ?? "") || PARSED_TYPES.has(s.element.logical_type?.type ?? ""));
    } catch (err) {
      throw new UnreadableFileError(`invalid Parquet file: ${where}: ${err instanceof Error ? err.message : String(err)}`);
    }
    // hyparquet reads [dictionary or first data page, + total_compressed_size), cut at the file's end
    const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
    const end = Math.min(Number(meta.dictionary_page_offset || meta.data_page_offset) + Number(meta.total_compressed_size), file.byteLength);
    const column: ColumnPages = { name, flat, rawBytes: Math.max(0, end - start), fixedCost: 0, pageEnds: [], pageCosts: [], values: 0 };
    const window = new Window(file, end);
    let rows = 0;
    // hyparquet stops one byte short of the chunk's end too (it needs a header byte and more)
    for (let offset = start; offset < end - 1; ) {
      if (++pagesInGroup > MAX_GROUP_PAGES) throw new UnreadableFileError(`Parquet row group ${index + 1} has more than ${MAX_GROUP_PAGES} pages`);
      const h = await readHeader(window, offset, where);
      const compressed = checkSize(h.compressed_page_size, "the compressed size", where);
      const bytes = checkSize(h.uncompressed_page_size, "the uncompressed size", where);
      if (bytes > MAX_PAGE_BYTES) throw new UnreadableFileError(`a Parquet page (${where}) declares ${bytes} bytes uncompressed; the limit is ${MAX_PAGE_BYTES}`);
      offset += h.headerBytes + compressed;
      if (offset > end) throw new UnreadableFileError(`invalid Parquet file: a page (${where}) runs past the end of its column chunk`);
      if (h.type === "DICTIONARY_PAGE") {
        column.fixedCost += pageCost(checkSize(h.dictionary_page_header?.num_values, "the number of values", where), bytes, h.headerCost, parsed);
        continue;
      }
      const v1 = h.type === "DATA_PAGE" ? h.data_page_header : undefined;
      const v2 = h.type === "DATA_PAGE_V2" ? h.data_page_header_v2 : undefined;
      if (!v1 && !v2) continue; // hyparquet refuses other pages when it meets them
      const values = checkSize((v1 ?? v2)!.num_values, "the number of values", where);
      const cost = pageCost(values, bytes, h.headerCost, parsed);
      column.values += values;
      if (!flat) {
        column.fixedCost += cost;
        continue;
      }
      rows += v2 ? checkSize(v2.num_rows, "the number of rows", where) : values;
      column.pageEnds.push(rows);
      column.pageCosts.push(cost);
    }
    const held = flat ? rows : column.values;
    if (held < groupRows) {
      throw new UnreadableFileError(`invalid Parquet file: row group ${index + 1} declares ${groupRows} rows but its column ${name} holds ${held} ${flat ? "rows" : "values"}`);
    }
    columns.push(column);
  }
  return columns;
}
