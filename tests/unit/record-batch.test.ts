// Import batches are bounded by their size in memory as well as their count: 500 records
// of the largest prompts were hundreds of MB in one write (issue 21 review).
import { describe, expect, it } from "vitest";
import { BATCH_MAX_BYTES, BATCH_SIZE, RecordBatch, recordBytes } from "@/lib/import/record-batch";
import type { ImportRecord } from "@/lib/import/records";

const record = (promptChars: number, messages = 1): ImportRecord => ({
  messages: Array.from({ length: messages }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: i === 0 ? "p".repeat(promptChars) : "" })),
  responses: [
    { text: "a".repeat(10), source: "m1" },
    { text: "b".repeat(10), source: "m2" },
  ],
  ranking: [[0], [1]],
  gold: false,
});

/** How many records each batch held when pushed until `total` records. */
function batchSizes(make: (i: number) => ImportRecord, total: number): number[] {
  const batch = new RecordBatch();
  const sizes: number[] = [];
  for (let i = 0; i < total; i++) if (batch.push(make(i))) sizes.push(batch.take().length);
  const rest = batch.take().length;
  return rest > 0 ? [...sizes, rest] : sizes;
}

describe("import record batches", () => {
  it("weigh a record's text and its parts", () => {
    expect(recordBytes(record(100))).toBe(2 * 120 + 4 * 128);
    expect(recordBytes({ ...record(5), responses: [], demonstration: { text: "d".repeat(9), source: "x" } })).toBe(2 * 14 + 2 * 128);
  });

  it("fill at BATCH_SIZE small records", () => {
    expect(batchSizes(() => record(100), 1200)).toEqual([BATCH_SIZE, BATCH_SIZE, 200]);
  });

  it("fill at BATCH_MAX_BYTES when records hold long text", () => {
    // 200,000-character prompts (an oasst1 conversation at the prompt limit): 84 a batch, not 500
    const each = recordBytes(record(200_000));
    const sizes = batchSizes(() => record(200_000), 500);
    expect(sizes[0]).toBe(Math.ceil(BATCH_MAX_BYTES / each));
    expect(sizes[0]).toBeLessThan(90);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(500);
  });

  it("fill at BATCH_MAX_BYTES when records hold many empty messages (no text to count)", () => {
    const sizes = batchSizes(() => record(0, 10_000), 500);
    expect(sizes[0]).toBe(Math.ceil(BATCH_MAX_BYTES / recordBytes(record(0, 10_000))));
    expect(sizes[0]).toBeLessThan(30);
  });
});
