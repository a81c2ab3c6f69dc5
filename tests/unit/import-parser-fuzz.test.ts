// Property-based tests of the import's parsing (issue 18, "Proof"): the line reader, the
// file reader (NDJSON, CSV, Parquet, gzip, sniffing), record validation and every dataset
// reader take arbitrary bytes and values without an unexpected throw, and what they hand
// on is well formed. The database side (nothing written by a refused import) is in
// tests/integration/import-fuzz.test.ts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nulPath } from "@/lib/db/nul-character";
import { datasetReader, DATASETS, detectDataset, type DatasetName } from "@/lib/import/datasets";
import { openImportFile } from "@/lib/import/file-values";
import { UnreadableFileError, UnsupportedRecordsError } from "@/lib/import/import-errors";
import { BodyTooLargeError, readLines, type NumberedLine } from "@/lib/import/read-lines";
import { describeError, normalizeRecord, type ImportRecord } from "@/lib/import/records";
import { importBody, jsonish, mutatedRecord, runs, trickyString } from "../fuzz/arbitraries";

async function* chunksOf(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let start = 0;
  for (const p of [...points, bytes.length]) {
    if (p > start) yield bytes.slice(start, p);
    start = Math.max(start, p);
  }
}

/** A ranking is tie groups that place each of n responses exactly once. */
function isPartition(ranking: number[][], n: number): boolean {
  const seen = ranking.flat();
  return ranking.every((g) => g.length > 0) && seen.length === n && new Set(seen).size === n && seen.every((i) => Number.isInteger(i) && i >= 0 && i < n);
}

/** What the writer relies on in every record a reader hands on. */
function wellFormed(r: ImportRecord): string | undefined {
  if (!Array.isArray(r.messages) || r.messages.length === 0) return "no prompt messages";
  if (!r.messages.every((m) => ["system", "user", "assistant"].includes(m.role) && typeof m.content === "string")) return "a malformed message";
  if (!r.responses.every((x) => typeof x.text === "string" && typeof x.source === "string" && x.source.length > 0)) return "a malformed response";
  if (r.ranking && r.responses.length < 2) return "a ranking of fewer than 2"; // one response alone (HelpSteer2, UltraFeedback) is kept in no comparison
  if (r.responses.length > 50) return "more than 50 responses";
  if (r.demonstration && r.responses.length > 0) return "a demonstration with responses";
  if (r.ranking && !isPartition(r.ranking, r.responses.length)) return `ranking ${JSON.stringify(r.ranking)} of ${r.responses.length}`;
  if (r.ranking && r.responses.length > 9) return "a ranking of more than 9";
  for (const [name, ranking] of Object.entries(r.criteria ?? {})) if (!isPartition(ranking, r.responses.length)) return `criterion ${name}`;
  if (typeof r.gold !== "boolean") return "gold is not a boolean";
  return undefined;
}

/** A refusal the code means (a zod or plain Error with a message), not a crash (TypeError, RangeError…). */
function isRefusal(err: unknown): boolean {
  return err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError) && !(err instanceof ReferenceError) && describeError(err).length > 0;
}

describe("readLines", () => {
  it("gives back every line of any bytes in any chunking, numbered, with long lines flagged", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }).map((b) => b.map((x) => (x % 7 === 0 ? 0x0a : x))), fc.array(fc.nat(300), { maxLength: 6 }), fc.integer({ min: 1, max: 64 }), async (bytes, cuts, maxLine) => {
        const got: NumberedLine[] = [];
        for await (const l of readLines(chunksOf(bytes, cuts), { maxBytes: Infinity, maxLineBytes: maxLine })) got.push(l);
        const segments: Uint8Array[] = [];
        let start = 0;
        for (let i = 0; i <= bytes.length; i++) {
          if (i === bytes.length || bytes[i] === 0x0a) {
            segments.push(bytes.subarray(start, i));
            start = i + 1;
          }
        }
        if (segments.at(-1)!.length === 0) segments.pop();
        expect(got.map((l) => l.line)).toEqual(segments.map((_, i) => i + 1));
        segments.forEach((seg, i) => {
          expect(got[i]!.tooLong).toBe(seg.length > maxLine);
          if (seg.length <= maxLine) expect(got[i]!.text).toBe(new TextDecoder().decode(seg).replace(/\r$/, ""));
        });
      }),
      { numRuns: runs(300) },
    );
  });

  it("refuses a body over maxBytes, and only such a body", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(200), { maxLength: 4 }), fc.nat(220), async (bytes, cuts, maxBytes) => {
        const read = async () => {
          for await (const _ of readLines(chunksOf(bytes, cuts), { maxBytes })) void _;
        };
        if (bytes.length > maxBytes) await expect(read()).rejects.toBeInstanceOf(BodyTooLargeError);
        else await read();
      }),
      { numRuns: runs(200) },
    );
  });
});

describe("openImportFile", () => {
  it("reads any body, plain or gzipped, NDJSON, CSV, Parquet or garbage, refusing only with the import's own errors", async () => {
    await fc.assert(
      fc.asyncProperty(importBody, fc.constantFrom(undefined, "ndjson", "csv") as fc.Arbitrary<"ndjson" | "csv" | undefined>, fc.constantFrom(1 << 20, 40), async (body, format, maxBytes) => {
        try {
          const file = await openImportFile(chunksOf(body.bytes, [7, 19]), { format, maxBytes, maxLineBytes: 256 });
          for await (const item of file.values) {
            expect(Number.isInteger(item.line) && item.line >= 0, body.note).toBe(true);
            expect(item.parseError === undefined ? "value" in item : typeof item.parseError === "string", body.note).toBe(true);
          }
        } catch (err) {
          if (!(err instanceof UnreadableFileError || err instanceof BodyTooLargeError)) throw err;
        }
      }),
      { numRuns: runs(150) },
    );
  });
});

describe("records", () => {
  it("normalizeRecord turns any value into a well-formed record or refuses it with a message", () => {
    fc.assert(
      fc.property(fc.oneof(mutatedRecord, jsonish), (value) => {
        let record: ImportRecord;
        try {
          record = normalizeRecord(value);
        } catch (err) {
          expect(isRefusal(err), String(err)).toBe(true);
          return;
        }
        expect(wellFormed(record)).toBeUndefined();
      }),
      { numRuns: runs(1000) },
    );
  });

  const readable = DATASETS.filter((d): d is Exclude<DatasetName, "trl-unpaired"> => d !== "trl-unpaired");

  it("every dataset reader takes any run of values without throwing and hands on well-formed records from lines it was given", () => {
    fc.assert(
      fc.property(fc.constantFrom(...readable), fc.array(fc.oneof(mutatedRecord, jsonish), { maxLength: 8 }), (name, values) => {
        const reader = datasetReader(name, "ndjson");
        const emitted = values.flatMap((v, i) => reader.push(v, i + 1)).concat(reader.end());
        for (const e of emitted) {
          expect(e.line >= 1 && e.line <= values.length, `line ${e.line}`).toBe(true);
          if ("error" in e) expect(typeof e.error === "string" && e.error.length > 0).toBe(true);
          else {
            expect(wellFormed(e.record), `${name}: ${JSON.stringify(e.record)}`).toBeUndefined();
            expect(nulPath(e.record), "a NUL the database cannot store").toBeUndefined();
          }
        }
      }),
      { numRuns: runs(600) },
    );
  });

  it("CSV rows (objects of strings) go through the readers that take CSV, or are refused by name", () => {
    const row = fc.dictionary(fc.oneof(fc.constantFrom("prompt", "chosen", "rejected", "response_1", "response_2", "source_1", "ranking_1", "ranking_2", "completion", "gold", "source", "response", "helpfulness"), trickyString), trickyString, { maxKeys: 6 });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 6 }), (rows) => {
        let reader;
        try {
          reader = datasetReader(detectDataset(rows[0]), "csv");
        } catch (err) {
          expect(err).toBeInstanceOf(UnsupportedRecordsError);
          return;
        }
        const emitted = rows.flatMap((v, i) => reader.push(v, i + 2)).concat(reader.end());
        for (const e of emitted) if (!("error" in e)) expect(wellFormed(e.record)).toBeUndefined();
      }),
      { numRuns: runs(400) },
    );
  });
});
