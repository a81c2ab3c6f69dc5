// Parquet rendering of the export records (hyparquet-writer), streamed: records are
// gathered into row groups (ROW_GROUP rows or ROW_GROUP_TEXT characters of text, whichever
// comes first), each group is encoded and its bytes sent and dropped before the next is
// read, and the footer follows the last group. Memory is bound by one row group, not by
// the export. Columns and kinds are those of CSV (columns.ts);
// nested values are JSON with Parquet's JSON annotation. Snappy-compressed, by
// hysnappy's WebAssembly (the writer's own JavaScript Snappy took an eighth of the export's CPU).
import { createHash } from "node:crypto";
import { ByteWriter, ParquetWriter, type SchemaElement } from "hyparquet-writer";
import { snappyCompress } from "hysnappy";
import pkg from "@/package.json";
import { COLUMNS, textOf, type ColumnKind } from "./columns";
import type { ExportFormat } from "./formats";
import type { StreamStats } from "./stream";

export const ROW_GROUP = 10_000;
export const ROW_GROUP_TEXT = 8_000_000;
/**
 * Columns of long free text: no min/max statistics. Truncated to 16 bytes they let no
 * reader skip a row group, and comparing every value cost a tenth of the Parquet export's
 * time (BENCHMARKS.md, Export). Ids, sources, times and numbers keep theirs.
 */
const FREE_TEXT = new Set(["prompt", "chosen", "rejected", "completion", "responses", "rationale"]);

const ELEMENT: Record<ColumnKind, Omit<SchemaElement, "name">> = {
  text: { type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
  json: { type: "BYTE_ARRAY", converted_type: "JSON", repetition_type: "OPTIONAL" },
  int: { type: "INT32", repetition_type: "OPTIONAL" },
  double: { type: "DOUBLE", repetition_type: "OPTIONAL" },
  bool: { type: "BOOLEAN", repetition_type: "OPTIONAL" },
};

export function parquetSchema(format: ExportFormat): SchemaElement[] {
  const columns = COLUMNS[format];
  return [{ name: "root", num_children: columns.length }, ...columns.map((c) => ({ name: c.name, ...ELEMENT[c.kind] }) as SchemaElement)];
}

function cellOf(kind: ColumnKind, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  switch (kind) {
    case "text":
      return textOf(value);
    case "json":
      // the value itself: the writer stores its JSON under Parquet's JSON annotation (JSON
      // text given here would be stored as a JSON string of that text, encoded twice)
      return value;
    case "int":
      return Math.round(Number(value));
    case "double":
      return Number(value);
    case "bool":
      return Boolean(value);
  }
}

/** About how many characters a cell holds, nested values by their strings (no JSON made to count them). */
function textLength(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + textLength(v), 0);
  if (value !== null && typeof value === "object") return Object.entries(value).reduce((n, [k, v]) => n + k.length + textLength(v), 0);
  return 0;
}

/** Parquet bytes of the records, one row group at a time as the client reads. */
export function parquetStream(records: AsyncGenerator<object>, format: ExportFormat, onDone?: (s: StreamStats) => void | Promise<void>, metadata: Record<string, string> = {}): ReadableStream<Uint8Array> {
  const columns = COLUMNS[format];
  const writer = new ByteWriter();
  const parquet = new ParquetWriter({
    writer,
    schema: parquetSchema(format),
    createdBy: `arbiter ${pkg.version}`,
    compressors: { SNAPPY: snappyCompress },
    kvMetadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  const hash = createHash("sha256");
  let rows = 0;
  let bytes = 0;
  /** What the writer holds so far, handed out and dropped (its offset keeps counting). */
  const drain = (): Uint8Array => {
    const chunk = writer.getBytes().slice();
    writer.index = 0;
    hash.update(chunk);
    bytes += chunk.byteLength;
    return chunk;
  };
  return new ReadableStream({
    async pull(controller) {
      const data = columns.map(() => [] as unknown[]);
      let done = false;
      let text = 0;
      while (data[0]!.length < ROW_GROUP && text < ROW_GROUP_TEXT) {
        const next = await records.next();
        if (next.done) {
          done = true;
          break;
        }
        columns.forEach((c, k) => {
          const v = cellOf(c.kind, c.get(next.value as Record<string, unknown>));
          text += textLength(v);
          data[k]!.push(v);
        });
      }
      const n = data[0]!.length;
      if (n > 0) {
        // Booleans PLAIN-encoded: older readers (parquetjs) misread RLE booleans.
        const columnData = columns.map((c, k) => ({
          name: c.name,
          data: data[k]!,
          statistics: !FREE_TEXT.has(c.name),
          ...(c.kind === "bool" ? { encoding: "PLAIN" as const } : {}),
        }));
        await parquet.write({ columnData, rowGroupSize: n });
        rows += n;
      }
      if (done) {
        await parquet.finish();
        controller.enqueue(drain());
        controller.close();
        await onDone?.({ rows, bytes, sha256: hash.digest("hex") });
        return;
      }
      controller.enqueue(drain());
    },
    async cancel() {
      await records.return(undefined);
    },
  });
}
