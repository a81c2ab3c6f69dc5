// A gzipped Parquet body is spooled to disk: unpacked at most IMPORT_MAX_DECOMPRESSED_BYTES
// (by default twice the body limit, where it was 16 times: 4 GiB of /tmp from a small
// upload), and folders that crashed imports left behind are swept once they are an hour old.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BodyTooLargeError } from "@/lib/import/read-lines";
import { openImportFile } from "@/lib/import/file-values";
import { STALE_SPOOL_MS, sweepStaleSpools } from "@/lib/import/temp-spool";

const MiB = 1024 * 1024;

async function* chunksOf(bytes: Uint8Array) {
  for (let i = 0; i < bytes.length; i += 64 * 1024) yield bytes.subarray(i, i + 64 * 1024);
}

function spoolFolders(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith(`arbiter-import-${process.pid}-`));
}

describe("the Parquet spool", () => {
  it("stops a gzipped Parquet body unpacking past twice the body limit, and removes what it wrote", async () => {
    // 3 MiB of "Parquet" in a 3 KB gzip, against a 1 MiB body limit (16 times would let it through)
    const body = gzipSync(Buffer.concat([Buffer.from("PAR1"), Buffer.alloc(3 * MiB)]));
    expect(body.length).toBeLessThan(MiB);
    const file = await openImportFile(chunksOf(body), { maxBytes: MiB });
    expect(file).toMatchObject({ format: "parquet", gzip: true });
    const err = await file.values.next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BodyTooLargeError); // the route answers 413
    expect((err as Error).message).toBe(`The gzipped Parquet file unpacks to more than ${2 * MiB} bytes (IMPORT_MAX_DECOMPRESSED_BYTES)`);
    expect(spoolFolders()).toEqual([]);
  });

  it("takes its limit from IMPORT_MAX_DECOMPRESSED_BYTES when set", async () => {
    const body = gzipSync(Buffer.concat([Buffer.from("PAR1"), Buffer.alloc(600 * 1024)]));
    const file = await openImportFile(chunksOf(body), { maxBytes: MiB, maxDecompressedBytes: 512 * 1024 });
    await expect(file.values.next()).rejects.toThrow(/more than 524288 bytes/);
  });

  it("sweeps spool folders of processes that are gone once they are an hour old, and no others", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "spool-sweep-"));
    // a process id that is surely not running: a child that has exited
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    const old = (Date.now() - STALE_SPOOL_MS - 60_000) / 1000;
    const make = (name: string, aged: boolean) => {
      mkdirSync(path.join(dir, name, "inner"), { recursive: true });
      if (aged) utimesSync(path.join(dir, name), old, old);
    };
    make(`arbiter-import-${gone}-abc123`, true); // a crashed import's: swept
    make("arbiter-import-Xy12Zw", true); // named before folders carried their process: swept when old
    make(`arbiter-import-${gone}-young1`, false); // too recent
    make(`arbiter-import-${process.pid}-live12`, true); // a running import's
    make("other-folder", true);
    const swept = await sweepStaleSpools(dir);
    expect(swept.sort()).toEqual([`arbiter-import-${gone}-abc123`, "arbiter-import-Xy12Zw"]);
    expect(readdirSync(dir).sort()).toEqual([`arbiter-import-${gone}-young1`, `arbiter-import-${process.pid}-live12`, "other-folder"].sort());
    expect(existsSync(path.join(dir, `arbiter-import-${process.pid}-live12`, "inner"))).toBe(true);
  });
});
