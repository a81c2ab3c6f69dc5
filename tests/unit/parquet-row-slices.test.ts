// The slice plan of a Parquet row group (lib/import/parquet/row-slices.ts) on made-up page
// layouts: what hyparquet decodes for rows [s, e) is priced, slices are as long as the
// limit allows, and a group that could only be read by decoding its nested columns over
// and over is refused.
import { describe, expect, it } from "vitest";
import { UnreadableFileError } from "@/lib/import/import-errors";
import type { ColumnPages } from "@/lib/import/parquet/page-scan";
import { rowsCost } from "@/lib/import/parquet/read-cost";
import { MAX_PASSES, planRowSlices } from "@/lib/import/parquet/row-slices";

const flat = (pageRows: number, pages: number, pageCost: number): ColumnPages => ({
  name: "prompt",
  flat: true,
  rawBytes: 0,
  fixedCost: 0,
  pageEnds: Array.from({ length: pages }, (_, i) => (i + 1) * pageRows),
  pageCosts: Array.from({ length: pages }, () => pageCost),
  values: pageRows * pages,
});
const nested = (fixedCost: number, values: number): ColumnPages => ({ name: "chosen", flat: false, rawBytes: 0, fixedCost, pageEnds: [], pageCosts: [], values });
const opts = (budget: number) => ({ budget, group: 0, setting: "LIMIT" });

describe("Parquet row slices", () => {
  it("read a group whole when it fits", () => {
    const slices = planRowSlices([flat(100, 10, 1000)], 1000, opts(1e9));
    expect(slices).toEqual([{ start: 0, end: 1000, cost: 10 * 1000 + rowsCost(1000, 1) }]);
  });

  it("price the page that ends where a slice starts (hyparquet decodes it too) and cut at the budget", () => {
    const budget = 2 * 1_000_000 + rowsCost(100, 1) + 1; // two pages and 100 rows
    const slices = planRowSlices([flat(100, 10, 1_000_000)], 1000, opts(budget));
    // the first slice holds page 1 only (rows 0..99 and the first of page 2 would need two pages: fits, 101 rows do not)
    expect(slices[0]).toMatchObject({ start: 0, end: 100 });
    // from row 100 on, the page ending at 100 is decoded as well: pages 1 and 2, rows 100..199
    expect(slices[1]).toMatchObject({ start: 100, end: 200 });
    for (const s of slices) expect(s.cost).toBeLessThanOrEqual(budget);
    expect(slices.at(-1)!.end).toBe(1000);
  });

  it("refuse a row that cannot be read within the limit, naming it", () => {
    expect(() => planRowSlices([flat(100, 1, 5_000_000)], 100, opts(4 * 1024 * 1024))).toThrow(
      new UnreadableFileError(
        "reading row 1 of Parquet row group 1 would take about 4.8 MB of memory; the limit is 4.0 MB (LIMIT). Write the file with smaller row groups or pages (pyarrow: row_group_size=10_000)",
      ),
    );
  });

  it(`refuse a group whose nested columns would be decoded more than ${MAX_PASSES} times over the limit`, () => {
    const budget = 10_000_000;
    // a nested column taking 90% of the limit on every read, flat pages of a row allowing 2 rows a slice
    const columns = [nested(9_000_000, 1000), flat(1, 1000, 300_000)];
    expect(() => planRowSlices(columns, 1000, opts(budget))).toThrow(/without decoding its 8.6 MB of column chunks and nested columns \d+ times/);
    // the same with few rows is read
    expect(planRowSlices([nested(9_000_000, 10), flat(1, 10, 300_000)], 10, opts(budget)).length).toBeLessThanOrEqual(MAX_PASSES);
  });
});
