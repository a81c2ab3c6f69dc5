// A checkpoint folder to register is copied into a private folder of the server's before
// anything in it is read, and everything after (the checks, the SHA-256, the size, the
// row) is about that copy. The folder may lie where others can write (the models
// directory): checks made on it, then a copy, would copy whatever was swapped in between
// (a vocab.json replaced by a link to any readable file, the folder by a link to another
// folder). So the folder and each file are opened once, by handle:
// - without links (`follow: false`, the HTTP route): the folder with O_DIRECTORY|O_NOFOLLOW,
//   each file with O_NOFOLLOW through the folder's handle (/proc/self/fd/N/<file>, which
//   the kernel resolves from the open folder, not from its path), so a link at any step is
//   refused; the command line follows links (Hugging Face's cache keeps snapshots as links);
// - each handle must be a regular file (not a FIFO, device or folder), of a bounded size
//   for everything but the weights, and the disk must have room for all of them;
// - the bytes are copied from those handles, as far as the size fstat gave, with async
//   reads and writes (a 6 GB copy must not stop the event loop), the weights hashed as
//   they are written.
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { TOKENIZER_FILES } from "@/trainer/model/layout";
import { RegisterModelError } from "./register-model-error";

const MiB = 1024 * 1024;
/** The largest config.json and tokenizer file copied (GPT-2's tokenizer.json is 1.3 MiB). */
export const MAX_CONFIG_BYTES = 1 * MiB;
export const MAX_TOKENIZER_FILE_BYTES = 32 * MiB;
/** Left free on the disk after a copy, for the database and logs that share it. */
export const DISK_RESERVE_BYTES = 256 * MiB;
/** A private copy left behind by a process that died mid-copy is removed after this long. */
const STALE_COPY_MS = 24 * 3600 * 1000;
const PREFIX = ".register-";

export type CopiedFolder = {
  /** the private copy, under `into` */
  dir: string;
  /** the files copied: config.json, model.safetensors and the tokenizer files there were */
  files: string[];
  /** model.safetensors: its size and SHA-256, of the bytes written to the copy */
  weightsBytes: number;
  weightsSha256: string;
};

type Opened = { name: string; handle: FileHandle; size: number };

const F = fs.constants;
// where the platform has them; elsewhere (not Linux) files are opened by path, with the folder's identity checked
const PROC_FD = fs.existsSync("/proc/self/fd") ? "/proc/self/fd" : null;

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/**
 * Opens `dir` and its files, checks them, and copies them into a new private folder under
 * `into` (the checkpoint root: the rename into place stays on one file system). `within`:
 * the folder must lie under it once opened (the models directory, for the HTTP route).
 */
export async function copyModelFolder(dir: string, opts: { follow: boolean; within?: string; into: string }): Promise<CopiedFolder> {
  const noFollow = opts.follow ? 0 : F.O_NOFOLLOW;
  let folder: FileHandle;
  try {
    folder = await fs.promises.open(dir, F.O_RDONLY | F.O_DIRECTORY | noFollow);
  } catch (err) {
    // with O_DIRECTORY, Linux answers ENOTDIR for a link that O_NOFOLLOW will not follow
    if (code(err) === "ELOOP" || (code(err) === "ENOTDIR" && !opts.follow && fs.lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink())) {
      throw new RegisterModelError(`${dir} is a symbolic link: give the folder itself`);
    }
    if (code(err) === "ENOENT" || code(err) === "ENOTDIR") throw new RegisterModelError(`${dir} is not a folder`);
    throw err;
  }
  const opened: Opened[] = [];
  try {
    const base = await folderBase(folder, dir, opts.within);
    const linked: string[] = [];
    const open = async (name: string, max: number | null): Promise<Opened | null> => {
      let handle: FileHandle;
      try {
        // O_NONBLOCK: opening a FIFO put there must not wait for a writer (it is then refused as not a regular file)
        handle = await fs.promises.open(path.join(base, name), F.O_RDONLY | F.O_NONBLOCK | noFollow);
      } catch (err) {
        if (code(err) === "ENOENT") return null;
        if (code(err) === "ELOOP") {
          linked.push(name);
          return null;
        }
        throw err;
      }
      const entry = { name, handle, size: 0 };
      opened.push(entry);
      const stat = await handle.stat();
      if (!stat.isFile()) throw new RegisterModelError(`${dir}: ${name} is not a regular file`);
      if (max !== null && stat.size > max) throw new RegisterModelError(`${dir}: ${name} is ${stat.size} bytes, more than the ${max} Arbiter reads`);
      entry.size = stat.size;
      return entry;
    };
    const config = await open("config.json", MAX_CONFIG_BYTES);
    const weights = await open("model.safetensors", null);
    for (const name of TOKENIZER_FILES) await open(name, MAX_TOKENIZER_FILE_BYTES);
    if (linked.length > 0) throw new RegisterModelError(`${dir}: ${linked.join(", ")} ${linked.length === 1 ? "is a symbolic link" : "are symbolic links"}: copy the files into the folder`);
    if (!config) throw new RegisterModelError(`${dir}: no config.json`);
    if (!weights) {
      const bin = fs.existsSync(path.join(base, "pytorch_model.bin")) ? " (it has pytorch_model.bin: save it with safe_serialization=True, or convert it)" : "";
      throw new RegisterModelError(`${dir}: no model.safetensors${bin}`);
    }

    fs.mkdirSync(opts.into, { recursive: true });
    sweepStaleCopies(opts.into);
    const needed = opened.reduce((n, f) => n + f.size, 0);
    const disk = await fs.promises.statfs(opts.into);
    const free = disk.bavail * disk.bsize;
    if (needed + DISK_RESERVE_BYTES > free) {
      throw new RegisterModelError(`${dir}: copying it needs ${needed} bytes and ${DISK_RESERVE_BYTES} to spare, and ${opts.into}'s disk has ${free} free`);
    }

    const copy = path.join(opts.into, `${PREFIX}${randomUUID()}`);
    fs.mkdirSync(copy);
    try {
      let sha256 = "";
      for (const f of opened) {
        const hash = f === weights ? createHash("sha256") : null;
        await copyHandle(f, path.join(copy, f.name), hash, dir);
        if (hash) sha256 = hash.digest("hex");
      }
      return {
        dir: copy,
        files: ["config.json", "model.safetensors", ...TOKENIZER_FILES.filter((n) => opened.some((f) => f.name === n))],
        weightsBytes: fs.statSync(path.join(copy, "model.safetensors")).size,
        weightsSha256: sha256,
      };
    } catch (err) {
      fs.rmSync(copy, { recursive: true, force: true });
      throw err;
    }
  } finally {
    await Promise.all(opened.map((f) => f.handle.close()));
    await folder.close();
  }
}

/** The path files are opened through: the open folder itself where /proc gives it, checked to lie under `within`. */
async function folderBase(folder: FileHandle, dir: string, within: string | undefined): Promise<string> {
  if (PROC_FD) {
    const base = `${PROC_FD}/${folder.fd}`;
    const where = fs.readlinkSync(base); // the folder's present path, whatever was renamed since
    if (within && !where.startsWith(within + path.sep)) throw new RegisterModelError(`${dir} is not under ${within}`);
    return base;
  }
  // no /proc: by path, as long as the path still names the folder that was opened
  const [opened, named] = [await folder.stat(), fs.statSync(dir)];
  if (opened.dev !== named.dev || opened.ino !== named.ino) throw new RegisterModelError(`${dir} changed while it was being opened`);
  if (within && !fs.realpathSync(dir).startsWith(within + path.sep)) throw new RegisterModelError(`${dir} is not under ${within}`);
  return dir;
}

/** Copies an open file's first `size` bytes (its size when opened) to a new file. */
async function copyHandle(f: Opened, to: string, hash: ReturnType<typeof createHash> | null, dir: string): Promise<void> {
  if (f.size === 0) {
    fs.writeFileSync(to, "", { flag: "wx" });
    return;
  }
  await pipeline(
    f.handle.createReadStream({ start: 0, end: f.size - 1, autoClose: false, highWaterMark: 4 * MiB }),
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash?.update(chunk);
        yield chunk;
      }
    },
    fs.createWriteStream(to, { flags: "wx" }),
  );
  const written = fs.statSync(to).size;
  if (written !== f.size) throw new RegisterModelError(`${dir}: ${f.name} changed while it was copied (${f.size} bytes when opened, ${written} read)`);
}

/** Removes private copies a process that died mid-registration left behind. */
function sweepStaleCopies(into: string): void {
  const now = Date.now();
  for (const name of fs.readdirSync(into)) {
    if (!name.startsWith(PREFIX)) continue;
    const full = path.join(into, name);
    try {
      if (now - fs.statSync(full).mtimeMs > STALE_COPY_MS) fs.rmSync(full, { recursive: true, force: true });
    } catch {
      // removed meanwhile by another registration's sweep
    }
  }
}
