// The file layout shared by backups and project bundles: gzip around a sequence of
// sections, each opened by one JSON line.
//
//   {"format": "arbiter-backup", ...manifest}          first line
//   {"table": "users", "columns": [...]}                a table: then its rows in COPY's
//   <rows in PostgreSQL's COPY text format, one a line>  text format (the same on every
//   \.                                                   PostgreSQL version and machine),
//   {"rows": 12}                                         the end marker, the row count
//   {"file": "p/round-1/sft/config.json", "bytes": 311, "sha256": "…"}
//   <311 bytes>\n                                        a file's bytes (artifacts)
//   {"end": true, "tables": 21, "files": 8}             last line: a cut-off file is noticed
//
// COPY's text format escapes newlines and backslashes inside values, so every row is one
// line and a line that is exactly `\.` can only be the end marker.
import type { Readable, Writable } from "node:stream";

const END_OF_ROWS = Buffer.from("\\.\n");

/**
 * Writes to a stream, waiting whenever it asks the writer to (backpressure). `written` is
 * the pipeline behind the stream (gzip → file): when it fails (a full disk), the stream is
 * destroyed and no 'drain' ever comes, so every wait ends with that error instead of
 * hanging with the backup's snapshot held.
 */
export class SectionWriter {
  private failure: Error | undefined;
  private readonly waiting = new Set<(err: Error) => void>();

  constructor(
    private readonly out: Writable,
    written?: Promise<unknown>,
  ) {
    written?.then(
      () => {},
      (err: Error) => {
        this.failure = err;
        for (const fail of this.waiting) fail(err);
      },
    );
  }

  private closed(): Error | undefined {
    return this.failure ?? (this.out.destroyed ? (this.out.errored ?? new Error("the output stream closed before everything was written")) : undefined);
  }

  async write(chunk: Buffer | string): Promise<void> {
    const early = this.closed();
    if (early) throw early;
    if (!this.out.write(chunk)) await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        this.out.off("drain", onDrain);
        this.out.off("error", done);
        this.out.off("close", onClose);
        this.waiting.delete(done);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(this.closed() ?? new Error("the output stream closed before everything was written"));
      this.out.once("drain", onDrain);
      this.out.once("error", done);
      this.out.once("close", onClose);
      this.waiting.add(done);
    });
  }

  async line(value: unknown): Promise<void> {
    await this.write(`${JSON.stringify(value)}\n`);
  }

  /** A table's rows: COPY TO's output as it comes, then the end marker and the count. */
  async rows(copy: AsyncIterable<Buffer>, rowCount: () => number): Promise<number> {
    for await (const chunk of copy) await this.write(chunk);
    await this.write(END_OF_ROWS);
    const rows = rowCount();
    await this.line({ rows });
    return rows;
  }

  async end(): Promise<void> {
    const early = this.closed();
    if (early) throw early;
    await new Promise<void>((resolve, reject) => {
      this.waiting.add(reject);
      this.out.once("error", reject);
      this.out.end(() => resolve());
    });
  }
}

/** Reads lines, byte counts and blocks of COPY rows from a (gunzipped) stream. */
export class SectionReader {
  private buf: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  private pos = 0;
  private readonly source: AsyncIterator<Buffer>;
  private ended = false;

  constructor(input: Readable | AsyncIterable<Buffer>) {
    this.source = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.source.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), next.value]) : next.value;
    this.pos = 0;
    return true;
  }

  /** The next line without its newline, or null at the end of the stream. */
  async readLine(): Promise<string | null> {
    for (;;) {
      const nl = this.buf.indexOf(0x0a, this.pos);
      if (nl >= 0) {
        const line = this.buf.toString("utf8", this.pos, nl);
        this.pos = nl + 1;
        return line;
      }
      if (!(await this.fill())) {
        if (this.pos >= this.buf.length) return null;
        throw new Error("the file ends in the middle of a line (cut off?)");
      }
    }
  }

  /** The next line, parsed as JSON. */
  async readJson<T>(): Promise<T> {
    const line = await this.readLine();
    if (line === null) throw new Error("the file ends early (cut off?)");
    try {
      return JSON.parse(line) as T;
    } catch {
      throw new Error(`expected a section header, found: ${line.slice(0, 80)}`);
    }
  }

  /** Exactly `n` bytes, in the chunks they arrive in, then the newline after them. */
  async *readBytes(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.pos >= this.buf.length && !(await this.fill())) throw new Error("the file ends inside a file's bytes (cut off?)");
      const take = Math.min(left, this.buf.length - this.pos);
      yield this.buf.subarray(this.pos, this.pos + take);
      this.pos += take;
      left -= take;
    }
    const after = await this.readLine();
    if (after !== "") throw new Error("a file's bytes are not followed by a newline (damaged?)");
  }

  /** A table's rows as blocks of whole lines, up to (and consuming) the `\.` line. */
  async *readRows(): AsyncGenerator<Buffer> {
    for (;;) {
      // a line that is exactly "\." at the start of what is left: the end
      if (this.buf.length - this.pos >= 3 && this.buf[this.pos] === 0x5c && this.buf[this.pos + 1] === 0x2e && this.buf[this.pos + 2] === 0x0a) {
        this.pos += 3;
        return;
      }
      const marker = this.buf.indexOf("\n\\.\n", this.pos);
      if (marker >= 0) {
        yield this.buf.subarray(this.pos, marker + 1);
        this.pos = marker + 1;
        continue;
      }
      const lastNl = this.buf.lastIndexOf(0x0a);
      if (lastNl >= this.pos) {
        yield this.buf.subarray(this.pos, lastNl + 1);
        this.pos = lastNl + 1;
      }
      if (!(await this.fill())) throw new Error("the file ends inside a table's rows (cut off?)");
    }
  }
}
