// A Parquet import's memory stays within IMPORT_PARQUET_MEMORY_BYTES whatever a small file
// declares (issue 21 review): pages of run-length-encoded dictionary indexes that hold a
// million values in a few bytes, row counts the pages do not hold, pages that unpack to
// more than they say, metadata that decodes to millions of objects. Files are hand-made
// (parquet-craft.ts) or written by hyparquet-writer.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { gzipSync } from "node:zlib";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import { UnreadableFileError } from "@/lib/import/import-errors";
import { BOUNDED_DECOMPRESSORS } from "@/lib/import/parquet/decompressors";
import { MAX_PAGE_BYTES } from "@/lib/import/parquet/page-scan";
import { parquetRows } from "@/lib/import/parquet-rows";
import { craftParquet, type CraftedPage } from "./parquet-craft";

const MiB = 1024 * 1024;
const dir = mkdtempSync(path.join(tmpdir(), "parquet-limits-"));
let files = 0;
function fileOf(bytes: Uint8Array | ArrayBuffer): string {
  const file = path.join(dir, `f${++files}.parquet`);
  writeFileSync(file, new Uint8Array(bytes));
  return file;
}

async function readAll(file: string, memoryBytes = 32 * MiB) {
  const values: unknown[] = [];
  for await (const row of parquetRows(file, { memoryBytes })) values.push(row.value);
  return values;
}

async function refusal(file: string, memoryBytes = 32 * MiB): Promise<UnreadableFileError> {
  try {
    for await (const _ of parquetRows(file, { memoryBytes })) void _;
  } catch (err) {
    expect(err).toBeInstanceOf(UnreadableFileError);
    return err as UnreadableFileError;
  }
  throw new Error("the file was read");
}

const dictionary: CraftedPage = { kind: "dictionary", values: ["x".repeat(20)] };
const runs = (pages: number, count: number): CraftedPage[] => Array.from({ length: pages }, () => ({ kind: "run" as const, count }));

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

describe("Parquet import limits", () => {
  it("reads a million rows from 322 bytes in slices: the heap at the first row holds one slice, not the row group", async () => {
    const file = fileOf(craftParquet({ pages: [dictionary, ...runs(8, 125_000)] }));
    gc();
    const before = process.memoryUsage().heapUsed;
    const rows = parquetRows(file, { memoryBytes: 32 * MiB });
    const first = await rows.next();
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    expect(first.value).toEqual({ line: 1, value: { prompt: "x".repeat(20) } });
    let n = 1;
    for await (const _ of rows) n++;
    expect(n).toBe(1_000_000);
    // the whole group at once held 113 MB here (hyparquet's rows and their plain copies)
    expect(growth).toBeLessThan(32 * MiB);
  });

  it("reads that file in a 48 MB heap (the whole row group at once ran out of memory at 64 MB)", () => {
    const file = fileOf(craftParquet({ pages: [dictionary, ...runs(8, 125_000)] }));
    const script = `import { parquetRows } from ${JSON.stringify(path.resolve("lib/import/parquet-rows.ts"))};
      let n = 0; for await (const _ of parquetRows(process.argv[1], { memoryBytes: ${32 * MiB} })) n++; console.log("rows", n);`;
    const child = spawnSync(process.execPath, ["--max-old-space-size=48", "--import", "tsx", "--input-type=module", "-e", script, file], { encoding: "utf8", timeout: 60_000 });
    expect(child.stderr).not.toMatch(/heap out of memory/);
    expect(child.stdout.trim()).toBe("rows 1000000");
  }, 60_000);

  it("refuses a page of a million values in 151 bytes when decoding it would pass the limit, naming the limit", async () => {
    const file = fileOf(craftParquet({ pages: [dictionary, ...runs(1, 1_000_000)] }));
    const err = await refusal(file, 32 * MiB);
    expect(err.message).toMatch(/would take about [\d.]+ MB of memory; the limit is 32.0 MB \(IMPORT_PARQUET_MEMORY_BYTES\)/);
    // a larger limit reads it
    expect(await readAll(file, 128 * MiB)).toHaveLength(1_000_000);
  });

  it("refuses a row group that declares more rows than its pages hold", async () => {
    const file = fileOf(craftParquet({ pages: [dictionary, ...runs(1, 10)], rows: 1_000_000_000 }));
    const err = await refusal(file);
    expect(err.message).toMatch(/row group 1 declares 1000000000 rows but its column prompt holds 10 rows/);
  });

  it("refuses a page that declares more uncompressed bytes than the page limit, before unpacking it", async () => {
    const file = fileOf(craftParquet({ pages: [{ kind: "plain", values: ["a", "b"] }], codec: "SNAPPY", declaredUncompressed: 1024 * MiB }));
    const err = await refusal(file);
    expect(err.message).toMatch(new RegExp(`declares ${1024 * MiB} bytes uncompressed; the limit is ${MAX_PAGE_BYTES}`));
  });

  it("stops a gzip page at the size its header declares (a small page of zeros does not grow to 64 MB first)", async () => {
    const zeros = gzipSync(new Uint8Array(64 * MiB)); // 64 KB
    const before = process.memoryUsage().arrayBuffers;
    expect(() => BOUNDED_DECOMPRESSORS.GZIP!(zeros, 100)).toThrow(/unpacks to more than the 100 bytes its header declares/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * MiB);
    // through a file: the page's header says 12 bytes, its gzip holds 64 MB
    const file = fileOf(craftParquet({ pages: [{ kind: "plain", values: ["a", "b"] }], codec: "GZIP", compress: () => zeros }));
    expect((await refusal(file)).message).toMatch(/unpacks to more than the 10 bytes its header declares/);
  });

  it("counts a JSON column's bytes at what JSON.parse can make of them", async () => {
    // 4 MB of "[[],[],…]" in one value: 1.4 million arrays once parsed
    const buffer = parquetWriteBuffer({
      columnData: [{ name: "prompt", data: [Array.from({ length: 1_400_000 }, () => [])] }],
      schema: [
        { name: "root", num_children: 1 },
        { name: "prompt", type: "BYTE_ARRAY", converted_type: "JSON", repetition_type: "OPTIONAL" },
      ],
    } as Parameters<typeof parquetWriteBuffer>[0]);
    const err = await refusal(fileOf(buffer), 32 * MiB);
    expect(err.message).toMatch(/reading row 1 of Parquet row group 1 would take about [\d.]+ MB of memory; the limit is 32.0 MB/);
  });

  it("refuses metadata that would decode to millions of objects, before decoding it", async () => {
    const padding = Array.from({ length: 2_000_000 }, () => ({})); // 2 MB: one STOP byte each
    const file = fileOf(craftParquet({ pages: [dictionary, ...runs(1, 3)], metadataPadding: padding }));
    const err = await refusal(file, 32 * MiB);
    expect(err.message).toMatch(/metadata \(\d+ bytes\) would take about [\d.]+ MB of memory to read; the limit is 32.0 MB \(IMPORT_PARQUET_MEMORY_BYTES\)/);
  });

  it("reads what hyparquet reads, row for row, when a row group is read in many slices (flat and nested columns)", async () => {
    const n = 3000;
    const text = (i: number) => `row ${i} ${"y".repeat(i % 300)}`;
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: "prompt", data: Array.from({ length: n }, (_, i) => text(i)) },
        { name: "score", data: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : i / 2)) },
        { name: "chosen", data: Array.from({ length: n }, (_, i) => [{ content: text(i), role: "user" }, { content: `answer ${i}`, role: "assistant" }]) },
      ],
      schema: [
        { name: "root", num_children: 3 },
        { name: "prompt", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
        { name: "score", type: "DOUBLE", repetition_type: "OPTIONAL" },
        { name: "chosen", repetition_type: "OPTIONAL", num_children: 1, converted_type: "LIST" },
        { name: "list", repetition_type: "REPEATED", num_children: 1 },
        { name: "element", repetition_type: "OPTIONAL", num_children: 2 },
        { name: "content", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
        { name: "role", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
      ],
      rowGroupSize: 1000,
      pageSize: 4096, // many pages a column, so that slices start and end inside pages
    } as Parameters<typeof parquetWriteBuffer>[0]);
    const file = fileOf(buffer);
    const expected = (await parquetReadObjects({ file: await asyncBufferFromFile(file) })).map((r) =>
      Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null && v !== undefined)),
    );
    // 1 MB: each row group of this file (1.6 MB at once) is read in 4 or 5 slices
    const got = await readAll(file, 1 * MiB);
    expect(got).toHaveLength(n);
    expect(got).toEqual(expected);
  });
});
