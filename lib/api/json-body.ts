// Reads a request's JSON body with a byte cap: the stream is cut off at the cap (413)
// instead of being read whole and measured, so a large body costs the server no more than
// the cap. The cap is JSON_BODY_MAX_BYTES (1 MiB by default).
import { env } from "@/lib/config/env";
import { nulMessage, nulPath } from "@/lib/db/nul-character";
import { ApiError } from "./errors";

function tooLarge(maxBytes: number): ApiError {
  return new ApiError("too_large", `The request body is larger than the limit of ${maxBytes} bytes`);
}

/** The body's bytes, at most `maxBytes`; a declared or actual larger body is a 413. */
export async function readBodyCapped(req: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

/**
 * The body parsed as JSON; bad JSON is a 400. With `optional`, an empty body is undefined
 * (routes whose body may be left out).
 */
export async function readJsonBody(req: Request, opts: { optional?: boolean; maxBytes?: number } = {}): Promise<unknown> {
  const bytes = await readBodyCapped(req, opts.maxBytes ?? env().JSON_BODY_MAX_BYTES);
  const text = new TextDecoder().decode(bytes);
  if (opts.optional && text.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError("invalid_input", "Request body must be JSON");
  }
  // A parsed NUL can only come from the escape \u0000: look for it only then.
  const at = text.includes("\\u0000") ? nulPath(value) : undefined;
  if (at !== undefined) throw new ApiError("invalid_input", nulMessage(at));
  return value;
}
