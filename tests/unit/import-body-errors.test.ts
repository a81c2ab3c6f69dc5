// A body that fails while it is read (over the import's limit, or cut off by the client)
// must fail the import's read of it, whatever the file format: CSV and gzip bodies are
// read through Node streams, and an error in their source must reach the reader. (It did
// not: the error was an uncaught exception and the read waited for ever, inside the
// import's transaction.)
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openImportFile } from "@/lib/import/file-values";
import { BodyTooLargeError } from "@/lib/import/read-lines";

const encode = (s: string) => new TextEncoder().encode(s);

async function* inChunks(bytes: Uint8Array, size = 16, failAfter?: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    if (failAfter !== undefined && i >= failAfter) throw new Error("the client went away");
    yield bytes.slice(i, i + size);
  }
}

/** How opening and reading the file ended: the values read, or the error; a read left waiting fails the test after 2 s. */
async function outcome(open: () => ReturnType<typeof openImportFile>): Promise<unknown> {
  const read = (async () => {
    const file = await open();
    let n = 0;
    for await (const _ of file.values) n++;
    return n;
  })();
  const stuck = new Promise((resolve) => setTimeout(() => resolve("still reading after 2 s"), 2000).unref());
  return Promise.race([read.catch((err: unknown) => err), stuck]);
}

const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);
beforeEach(() => {
  uncaught.length = 0;
  process.on("uncaughtException", onUncaught);
});
afterEach(() => {
  process.off("uncaughtException", onUncaught);
  expect(uncaught).toEqual([]);
});

// larger than the first 4 KiB the file's type is told from: the failures come after that
const csv = encode(`prompt,chosen,rejected\n${"a question,a good answer,a bad answer\n".repeat(400)}`);
const ndjsonLines = encode(`${JSON.stringify({ prompt: "q", chosen: "good", rejected: "bad" })}\n`.repeat(400));

describe("a body that fails while read", () => {
  it("CSV over the limit: the read fails with BodyTooLargeError", async () => {
    expect(await outcome(() => openImportFile(inChunks(csv), { format: "csv", maxBytes: 8000, maxLineBytes: 1 << 20 }))).toBeInstanceOf(BodyTooLargeError);
  });

  it("CSV cut off by the client: the read fails with the body's error", async () => {
    expect(String(await outcome(() => openImportFile(inChunks(csv, 16, 8000), { maxBytes: 1 << 20, maxLineBytes: 1 << 20, contentType: "text/csv" })))).toMatch(/client went away/);
  });

  it("gzip over the limit: the read fails with BodyTooLargeError", async () => {
    const gz = new Uint8Array(gzipSync(ndjsonLines, { level: 0 }));
    expect(await outcome(() => openImportFile(inChunks(gz), { maxBytes: gz.length - 100, maxLineBytes: 1 << 20 }))).toBeInstanceOf(BodyTooLargeError);
  });

  it("gzipped CSV cut off by the client: the read fails with the body's error", async () => {
    const gz = new Uint8Array(gzipSync(csv, { level: 0 }));
    expect(String(await outcome(() => openImportFile(inChunks(gz, 16, 8000), { maxBytes: 1 << 20, maxLineBytes: 1 << 20 })))).toMatch(/client went away/);
  });
});
