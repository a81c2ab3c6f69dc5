// A body spooled to a temporary file, for readers that need random access (Parquet keeps
// its index at the end). The file lives in a folder of its own under the OS's temporary
// directory, arbiter-import-<pid>-XXXXXX, removed when the read ends. A process killed
// mid-import leaves its folder behind; each new spool first sweeps the folders of
// processes that are gone, once they are an hour old, so a crash loop cannot fill the disk.
import { createWriteStream } from "node:fs";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

export const SPOOL_PREFIX = "arbiter-import-";
export const STALE_SPOOL_MS = 60 * 60 * 1000;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM"; // there, but another user's
  }
}

/** Removes spool folders older than STALE_SPOOL_MS whose process is gone; returns their names. */
export async function sweepStaleSpools(dir = tmpdir(), now = Date.now()): Promise<string[]> {
  const swept: string[] = [];
  for (const name of await readdir(dir)) {
    if (!name.startsWith(SPOOL_PREFIX)) continue;
    const pid = /^arbiter-import-(\d+)-/.exec(name)?.[1];
    if (pid !== undefined && alive(Number(pid))) continue;
    try {
      const s = await stat(path.join(dir, name));
      if (!s.isDirectory() || now - s.mtimeMs < STALE_SPOOL_MS) continue;
      await rm(path.join(dir, name), { recursive: true, force: true });
      swept.push(name);
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return swept;
}

async function* atMost(chunks: AsyncIterable<Uint8Array>, maxBytes: number, tooLarge: () => Error): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += chunk.byteLength;
    if (bytes > maxBytes) throw tooLarge();
    yield chunk;
  }
}

/** Writes at most maxBytes of `chunks` to a temporary file, reads it with `read`, and removes it. */
export async function* spooled<T>(
  chunks: AsyncIterable<Uint8Array>,
  opts: { maxBytes: number; tooLarge: () => Error },
  read: (file: string) => AsyncIterable<T>,
): AsyncGenerator<T> {
  await sweepStaleSpools().catch((err: unknown) => console.warn(`[import] sweeping old spool folders failed: ${String(err)}`));
  const dir = await mkdtemp(path.join(tmpdir(), `${SPOOL_PREFIX}${process.pid}-`));
  try {
    const file = path.join(dir, "body");
    await pipeline(Readable.from(atMost(chunks, opts.maxBytes, opts.tooLarge)), createWriteStream(file));
    yield* read(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
