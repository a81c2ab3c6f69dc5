// The import body as numbered values, whatever file it is: NDJSON (one JSON value a line),
// CSV with a header (one object a row), or Parquet (one object a row), any of them gzipped.
// The file is told by its first bytes unless named: gzip's magic (1f 8b) is unpacked as a
// stream (zlib), Parquet's ("PAR1") read row group by row group, a first character "{" is
// NDJSON, a text/csv content type or a first line without "{" is CSV. Memory holds a chunk,
// one CSV row or a slice of a Parquet row group (IMPORT_PARQUET_MEMORY_BYTES) at a time,
// never the whole file.
import { pipeline, Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { CsvError, parse as parseCsv } from "csv-parse";
import { env } from "@/lib/config/env";
import { UnreadableFileError } from "./import-errors";
import { BodyTooLargeError, readLines } from "./read-lines";
import { parquetRows } from "./parquet-rows";
import { spooled } from "./temp-spool";

export const FILE_FORMATS = ["ndjson", "csv", "parquet"] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];
export type Line = { line: number; value?: unknown; parseError?: string };

/** Unpacked gzip may be this many times the body limit (a guard against gzip bombs). */
export const GZIP_MAX_RATIO = 16;

type Chunks = AsyncIterable<Uint8Array>;

async function* limitBytes(
  chunks: Chunks,
  maxBytes: number,
  onChunk?: (chunk: Uint8Array, bytes: number) => void,
  error = () => new BodyTooLargeError(maxBytes),
): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += chunk.byteLength;
    if (bytes > maxBytes) throw error();
    onChunk?.(chunk, bytes);
    yield chunk;
  }
}

/** Reads chunks until at least n bytes are known; returns them and the whole stream again. */
async function peek(chunks: Chunks, n: number): Promise<{ head: Uint8Array; all: Chunks }> {
  const it = chunks[Symbol.asyncIterator]();
  const seen: Uint8Array[] = [];
  let size = 0;
  while (size < n) {
    const next = await it.next();
    if (next.done) break;
    seen.push(next.value);
    size += next.value.byteLength;
  }
  const head = Buffer.concat(seen).subarray(0, n);
  async function* all() {
    yield* seen;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  }
  return { head, all: all() };
}

const isGzip = (h: Uint8Array) => h[0] === 0x1f && h[1] === 0x8b;
const isParquet = (h: Uint8Array) => Buffer.from(h.subarray(0, 4)).toString("latin1") === "PAR1";

function sniffText(head: Uint8Array, contentType: string): FileFormat {
  if (contentType.includes("csv")) return "csv";
  const text = Buffer.from(head).toString("utf8").replace(/^\uFEFF/, "");
  const first = text.trimStart()[0];
  if (first === undefined || first === "{" || first === "[") return "ndjson";
  return text.split("\n", 1)[0]!.includes(",") ? "csv" : "ndjson";
}

/**
 * Node streams over the body's chunks. pipeline, not .pipe(): an error in the body (over the
 * limit, cut off by the client) must reach the stream being read, where .pipe() left it an
 * uncaught exception and the read waiting for ever inside the import's transaction.
 */
function through<T extends NodeJS.ReadWriteStream>(chunks: Chunks, stream: T): T {
  pipeline(Readable.from(chunks), stream, () => {}); // errors surface in the reader of `stream`
  return stream;
}

async function* gunzip(chunks: Chunks, maxBytes: number): Chunks {
  const unzipped = through(chunks, createGunzip());
  try {
    yield* limitBytes(unzipped, maxBytes * GZIP_MAX_RATIO, undefined, () => new BodyTooLargeError(maxBytes * GZIP_MAX_RATIO));
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw err;
    if ((err as { code?: string }).code?.startsWith("Z_")) throw new UnreadableFileError(`invalid gzip data: ${(err as Error).message}`);
    throw err;
  }
}

async function* ndjsonValues(chunks: Chunks, maxLineBytes: number): AsyncGenerator<Line> {
  for await (const { line, text, tooLong } of readLines(chunks, { maxBytes: Infinity, maxLineBytes })) {
    if (tooLong) {
      yield { line, parseError: `line longer than ${maxLineBytes} bytes (IMPORT_LINE_MAX_BYTES)` };
      continue;
    }
    if (text.trim() === "") continue;
    try {
      yield { line, value: JSON.parse(text) };
    } catch (err) {
      yield { line, parseError: `invalid JSON (${err instanceof Error ? err.message : "parse error"})` };
    }
  }
}

async function* csvValues(chunks: Chunks, maxLineBytes: number): AsyncGenerator<Line> {
  const parser = through(
    chunks,
    parseCsv({
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      skip_empty_lines: true,
      bom: true,
      info: true,
      // a row longer than this (in characters) stops the parse with an error on its line
      max_record_size: maxLineBytes,
    }),
  );
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      yield { line: info.lines, value: record };
    }
  } catch (err) {
    // only the parser's own errors are the file's; the body's (over the limit, cut off) go on up
    if (!(err instanceof CsvError)) throw err;
    const e = err as { lines?: number; message?: string };
    yield { line: e.lines ?? 0, parseError: `invalid CSV: ${e.message ?? String(err)}` };
  }
}

/** A gzipped body unpacked past the spool's limit (IMPORT_MAX_DECOMPRESSED_BYTES). */
export class DecompressedTooLargeError extends BodyTooLargeError {
  constructor(limit: number) {
    super(limit);
    this.message = `The gzipped Parquet file unpacks to more than ${limit} bytes (IMPORT_MAX_DECOMPRESSED_BYTES)`;
  }
}

/**
 * Parquet needs random access (its index is at the end): the body is spooled to a temporary
 * file, unpacked at most maxSpoolBytes when it came gzipped (the received bytes are limited
 * already), not the 16 times the body limit a streamed text file may unpack to.
 */
function parquetValues(chunks: Chunks, maxSpoolBytes: number): AsyncGenerator<Line> {
  return spooled(chunks, { maxBytes: maxSpoolBytes, tooLarge: () => new DecompressedTooLargeError(maxSpoolBytes) }, (file) => parquetRows(file));
}

export type OpenedFile = { format: FileFormat; gzip: boolean; values: AsyncGenerator<Line> };

export async function openImportFile(
  body: ReadableStream<Uint8Array> | Chunks,
  opts: {
    format?: FileFormat;
    contentType?: string;
    maxBytes: number;
    /** a gzipped Parquet body's limit once unpacked (default IMPORT_MAX_DECOMPRESSED_BYTES, else twice maxBytes) */
    maxDecompressedBytes?: number;
    maxLineBytes?: number;
    onChunk?: (chunk: Uint8Array, bytes: number) => void;
  },
): Promise<OpenedFile> {
  const maxLineBytes = opts.maxLineBytes ?? env().IMPORT_LINE_MAX_BYTES;
  const received = limitBytes(body as Chunks, opts.maxBytes, opts.onChunk);
  let { head, all } = await peek(received, 4);
  const gzip = isGzip(head);
  if (gzip) ({ head, all } = await peek(gunzip(all, opts.maxBytes), 4096));
  else if (!opts.format) ({ head, all } = await peek(all, 4096));
  const format = opts.format ?? (isParquet(head) ? "parquet" : sniffText(head, opts.contentType ?? ""));
  const maxSpoolBytes = gzip ? (opts.maxDecompressedBytes ?? env().IMPORT_MAX_DECOMPRESSED_BYTES ?? 2 * opts.maxBytes) : Infinity;
  const values = format === "parquet" ? parquetValues(all, maxSpoolBytes) : format === "csv" ? csvValues(all, maxLineBytes) : ndjsonValues(all, maxLineBytes);
  return { format, gzip, values };
}
