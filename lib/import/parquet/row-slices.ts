// Which rows of a row group to read at once so that a read's estimated memory stays within
// the limit. hyparquet, asked for rows [s, e) of a group, reads every column chunk's bytes
// whole and decodes: its dictionary, every page of a nested column (one with lists or
// structs), and the pages of a flat column from the one that ends at or after s to the
// one holding row e - 1. Slices are as long as the limit allows, so nested columns are
// decoded again as few times as possible; decoding them more than MAX_PASSES times over
// the limit's worth is refused rather than ground through.
import { UnreadableFileError } from "../import-errors";
import type { ColumnPages } from "./page-scan";
import { RAW_BYTE_BYTES, rowsCost } from "./read-cost";

export const MAX_PASSES = 16;

export type RowSlice = { start: number; end: number; cost: number };

/** First index whose value is >= x (values ascending). */
function lowerBound(values: number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export const mb = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

export function planRowSlices(columns: ColumnPages[], groupRows: number, opts: { budget: number; group: number; setting: string }): RowSlice[] {
  const fixed = columns.reduce((sum, c) => sum + c.rawBytes * RAW_BYTE_BYTES + c.fixedCost, 0);
  const flat = columns
    .filter((c) => c.flat)
    .map((c) => {
      const prefix = [0];
      for (const cost of c.pageCosts) prefix.push(prefix[prefix.length - 1]! + cost);
      return { ends: c.pageEnds, prefix };
    });
  const cost = (s: number, e: number) => {
    let total = fixed + rowsCost(e - s, columns.length);
    for (const { ends, prefix } of flat) {
      const first = lowerBound(ends, s); // the first page ending at or after s (hyparquet skips those before)
      const last = Math.min(ends.length, 1 + lowerBound(ends, e)); // pages starting before e
      if (last > first) total += prefix[last]! - prefix[first]!;
    }
    return total;
  };
  const slices: RowSlice[] = [];
  for (let s = 0; s < groupRows; ) {
    const least = cost(s, s + 1);
    if (least > opts.budget) {
      throw new UnreadableFileError(
        `reading row ${s + 1} of Parquet row group ${opts.group + 1} would take about ${mb(least)} of memory; the limit is ${mb(opts.budget)} (${opts.setting}). ` +
          "Write the file with smaller row groups or pages (pyarrow: row_group_size=10_000)",
      );
    }
    // the longest slice within the budget (cost grows with its end)
    let lo = s + 1;
    let hi = groupRows;
    while (lo < hi) {
      const mid = lo + Math.ceil((hi - lo) / 2);
      if (cost(s, mid) <= opts.budget) lo = mid;
      else hi = mid - 1;
    }
    slices.push({ start: s, end: lo, cost: cost(s, lo) });
    s = lo;
  }
  if (slices.length > 1 && slices.length * fixed > MAX_PASSES * opts.budget) {
    throw new UnreadableFileError(
      `Parquet row group ${opts.group + 1} cannot be read within the memory limit of ${mb(opts.budget)} (${opts.setting}) without decoding its ${mb(fixed)} of column chunks and nested columns ${slices.length} times. ` +
        "Write the file with smaller row groups (pyarrow: row_group_size=10_000)",
    );
  }
  return slices;
}
