// Streams a request body as numbered lines without holding the whole body in memory.
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The import is larger than the limit of ${limit} bytes`);
  }
}

export async function* readLines(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  opts: { maxBytes: number },
): AsyncGenerator<{ line: number; text: string }> {
  const decoder = new TextDecoder("utf-8", { fatal: false });
  let pending = "";
  let line = 0;
  let bytes = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    if (bytes > opts.maxBytes) throw new BodyTooLargeError(opts.maxBytes);
    pending += decoder.decode(chunk, { stream: true });
    let start = 0;
    let nl: number;
    while ((nl = pending.indexOf("\n", start)) >= 0) {
      line += 1;
      yield { line, text: pending.slice(start, nl).replace(/\r$/, "") };
      start = nl + 1;
    }
    pending = pending.slice(start);
  }
  pending += decoder.decode();
  if (pending.length > 0) yield { line: line + 1, text: pending.replace(/\r$/, "") };
}
