// A folder as a POSIX ustar archive, streamed file by file (each file read in chunks), so a
// model's weights download without being held in memory. Plain files at the top level only,
// which is what checkpoint folders hold.
import fs from "node:fs";
import path from "node:path";

const BLOCK = 512;

function header(name: string, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, "0") + "\0";
  h.write(name, 0, 100, "utf8");
  h.write(octal(0o644, 8), 100, 8, "ascii"); // mode
  h.write(octal(0, 8), 108, 8, "ascii"); // uid
  h.write(octal(0, 8), 116, 8, "ascii"); // gid
  h.write(octal(size, 12), 124, 12, "ascii");
  h.write(octal(Math.floor(mtime), 12), 136, 12, "ascii");
  h.write("        ", 148, 8, "ascii"); // checksum field counts as spaces while summing
  h.write("0", 156, 1, "ascii"); // regular file
  h.write("ustar\0", 257, 6, "ascii");
  h.write("00", 263, 2, "ascii");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
  return h;
}

/** The files of `dir` (sorted by name) as a tar archive whose entries sit under `prefix/`. */
export function tarFolder(dir: string, prefix: string): ReadableStream<Uint8Array> {
  const files = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => d.name)
    .sort();
  let index = 0;
  let reader: AsyncIterator<Buffer> | null = null;
  let written = 0;
  return new ReadableStream({
    async pull(controller) {
      for (;;) {
        if (reader) {
          const next = await reader.next();
          if (!next.done) {
            written += next.value.length;
            controller.enqueue(new Uint8Array(next.value));
            return;
          }
          reader = null;
          const pad = (BLOCK - (written % BLOCK)) % BLOCK;
          if (pad) controller.enqueue(new Uint8Array(pad));
        }
        if (index >= files.length) {
          controller.enqueue(new Uint8Array(2 * BLOCK)); // end of archive
          controller.close();
          return;
        }
        const name = files[index++]!;
        const full = path.join(dir, name);
        const stat = fs.statSync(full);
        const entry = `${prefix}/${name}`;
        if (Buffer.byteLength(entry) > 100) throw new Error(`tar entry name too long: ${entry}`);
        controller.enqueue(new Uint8Array(header(entry, stat.size, stat.mtimeMs / 1000)));
        written = 0;
        reader = fs.createReadStream(full, { highWaterMark: 1 << 20 })[Symbol.asyncIterator]();
      }
    },
  });
}
