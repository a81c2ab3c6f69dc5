// Page decompressors for hyparquet, each stopped at the size the page header declares
// (hyparquet refuses a page of any other size afterwards, but only after it is unpacked:
// a 1 MB gzip page of zeros would otherwise grow to 1 GB first), and refusing a declared
// size over MAX_PAGE_BYTES. Snappy is hyparquet's own, into a buffer of the declared size.
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import * as zlib from "node:zlib";
import { snappyUncompress, type Compressors } from "hyparquet";
import { MAX_PAGE_BYTES } from "./page-scan";

type Unpack = (input: Uint8Array, opts: { maxOutputLength: number }) => Buffer;
// zstd comes with Node from 22.15 on
const zstd = (zlib as { zstdDecompressSync?: Unpack }).zstdDecompressSync;

function bounded(name: string, unpack: Unpack) {
  return (input: Uint8Array, outputLength: number): Uint8Array => {
    if (outputLength > MAX_PAGE_BYTES) throw new Error(`a page declares ${outputLength} bytes uncompressed; the limit is ${MAX_PAGE_BYTES}`);
    if (outputLength === 0) return new Uint8Array(0);
    try {
      return new Uint8Array(unpack(input, { maxOutputLength: outputLength }));
    } catch (err) {
      if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw new Error(`a ${name} page unpacks to more than the ${outputLength} bytes its header declares`);
      throw err;
    }
  };
}

export const BOUNDED_DECOMPRESSORS: Compressors = {
  SNAPPY: (input, outputLength) => {
    if (outputLength > MAX_PAGE_BYTES) throw new Error(`a page declares ${outputLength} bytes uncompressed; the limit is ${MAX_PAGE_BYTES}`);
    const output = new Uint8Array(outputLength);
    snappyUncompress(input, output);
    return output;
  },
  GZIP: bounded("gzip", gunzipSync),
  BROTLI: bounded("brotli", brotliDecompressSync),
  ...(zstd ? { ZSTD: bounded("zstd", zstd) } : {}),
};
