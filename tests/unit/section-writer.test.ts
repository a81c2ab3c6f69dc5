// SectionWriter (lib/backup/section-stream.ts) behind gzip → a sink that fails: the
// pipeline destroys gzip and no 'drain' comes, so the writer must end with the sink's
// error rather than wait forever (a backup holding its snapshot).
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { describe, expect, it } from "vitest";
import { SectionWriter } from "@/lib/backup/section-stream";

/** A sink that takes `limit` bytes, then fails every write (a disk filling up). */
function failingAfter(limit: number): Writable {
  let seen = 0;
  return new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      setImmediate(() => cb(seen > limit ? Object.assign(new Error("no space left on device"), { code: "ENOSPC" }) : null));
    },
  });
}

async function* incompressible(blocks: number) {
  for (let i = 0; i < blocks; i++) yield randomBytes(16 * 1024);
}

describe("SectionWriter on a failing sink", () => {
  it("rejects with the sink's error while waiting for backpressure", async () => {
    const gzip = createGzip({ level: 1 });
    const written = pipeline(gzip, failingAfter(64 * 1024));
    const out = new SectionWriter(gzip, written);
    await expect(out.rows(incompressible(1000), () => 0)).rejects.toThrow(/no space left/);
    await expect(written).rejects.toThrow(/no space left/);
    // and every later write fails at once
    await expect(out.line({ end: true })).rejects.toThrow(/no space left/);
  });
});
