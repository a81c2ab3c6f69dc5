// Streams a request body as numbered lines without holding the whole body in memory. A
// line longer than maxLineBytes is not held either: it is reported (tooLong, no text) and
// its bytes dropped up to the next newline, so one huge line costs no more than the cap.
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The import is larger than the limit of ${limit} bytes`);
  }
}

export type NumberedLine = { line: number; text: string; tooLong: false } | { line: number; text: ""; tooLong: true };

export async function* readLines(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  opts: { maxBytes: number; maxLineBytes?: number },
): AsyncGenerator<NumberedLine> {
  const maxLine = opts.maxLineBytes ?? Infinity;
  const decoder = new TextDecoder("utf-8", { fatal: false });
  let parts: Uint8Array[] = [];
  let partBytes = 0;
  let tooLong = false;
  let line = 0;
  let bytes = 0;

  const append = (segment: Uint8Array, copy: boolean) => {
    if (tooLong || segment.byteLength === 0) return;
    if (partBytes + segment.byteLength > maxLine) {
      tooLong = true;
      parts = [];
      partBytes = 0;
      return;
    }
    parts.push(copy ? segment.slice() : segment);
    partBytes += segment.byteLength;
  };
  // "\n" (0x0a) never occurs inside a multi-byte UTF-8 sequence, so lines split on bytes.
  const take = (): NumberedLine => {
    line += 1;
    const out: NumberedLine = tooLong
      ? { line, text: "", tooLong: true }
      : { line, text: decoder.decode(parts.length === 1 ? parts[0] : Buffer.concat(parts, partBytes)).replace(/\r$/, ""), tooLong: false };
    parts = [];
    partBytes = 0;
    tooLong = false;
    return out;
  };

  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    if (bytes > opts.maxBytes) throw new BodyTooLargeError(opts.maxBytes);
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf(0x0a, start)) >= 0) {
      append(chunk.subarray(start, nl), false);
      yield take();
      start = nl + 1;
    }
    // the rest waits for the next chunk, which may reuse this one's memory
    append(chunk.subarray(start), true);
  }
  if (partBytes > 0 || tooLong) yield take();
}
