// Import batches are bounded by their text as well as their count: 500 records of the
// largest prompts were hundreds of MB in one write (issue 21 review).
import { describe, expect, it } from "vitest";
import { BATCH_MAX_TEXT, BATCH_SIZE, RecordBatch, recordText } from "@/lib/import/record-batch";
import type { ImportRecord } from "@/lib/import/records";

const record = (promptChars: number, responseChars = 10): ImportRecord => ({
  messages: [{ role: "user", content: "p".repeat(promptChars) }],
  responses: [
    { text: "a".repeat(responseChars), source: "m1" },
    { text: "b".repeat(responseChars), source: "m2" },
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
  it("counts a record's prompt, responses and demonstration", () => {
    expect(recordText(record(100, 7))).toBe(114);
    expect(recordText({ ...record(5, 0), responses: [], demonstration: { text: "d".repeat(9), source: "x" } })).toBe(14);
  });

  it("fill at BATCH_SIZE small records", () => {
    expect(batchSizes(() => record(100), 1200)).toEqual([BATCH_SIZE, BATCH_SIZE, 200]);
  });

  it(`fill at ${BATCH_MAX_TEXT} characters of text when records are large`, () => {
    // 200,000-character prompts (an oasst1 conversation at the prompt limit): 84 a batch, not 500
    const sizes = batchSizes(() => record(200_000), 500);
    expect(sizes[0]).toBe(Math.ceil(BATCH_MAX_TEXT / 200_020));
    for (const n of sizes.slice(0, -1)) expect(n * 200_020).toBeLessThan(BATCH_MAX_TEXT + 200_020);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(500);
  });
});
