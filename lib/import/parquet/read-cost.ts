// Estimated memory of reading Parquet with hyparquet, from what page headers declare.
// Bytes per unit, set from reads measured with hyparquet 1.31 and kept above them
// (tests/unit/parquet-limits.test.ts reads a million rows at a 32 MiB limit in a 48 MB heap):
// - a declared value: its slot in the values, definition- and repetition-level arrays, the
//   dictionary lookup's copy, the flattened copy per column, a nested value's list;
// - an uncompressed page byte: the decompressed page, and its text as JavaScript strings
//   (up to two bytes a character); in a column hyparquet parses (JSON, geometry, variant),
//   what the parse can make of a byte: "[[],[],…" is an array of some 32 bytes every 3;
// - a row: hyparquet's row object and its plain copy (parquet-rows.ts), per column;
// - a column chunk's compressed bytes: read whole for every slice.
export const VALUE_BYTES = 48;
export const PAGE_BYTE_BYTES = 3;
export const PARSED_BYTE_BYTES = 32;
export const ROW_BYTES = 64;
export const ROW_COLUMN_BYTES = 48;
export const RAW_BYTE_BYTES = 1;

export function pageCost(values: number, uncompressedBytes: number, headerCost: number, parsed = false): number {
  return values * VALUE_BYTES + uncompressedBytes * (parsed ? PARSED_BYTE_BYTES : PAGE_BYTE_BYTES) + headerCost;
}

export function rowsCost(rows: number, columns: number): number {
  return rows * (ROW_BYTES + columns * ROW_COLUMN_BYTES);
}
