// The web app and the trainer are separate processes, possibly on separate machines; the
// trainer's server (trainer/serve/score-server.ts) answers only requests the web app signed
// with the trainer RPC key (trainerRpcKey): TRAINER_RPC_KEY, or one derived from
// NEXTAUTH_SECRET by HKDF. The trainer is given only that key (npm start derives it and
// leaves NEXTAUTH_SECRET out of the trainer's environment), so a trainer host that is
// taken over cannot sign sessions, which NEXTAUTH_SECRET would let it do. A signature
// covers the trainer it is meant for (its advertised URL's origin), the method, the path, a
// timestamp, a nonce and the body's SHA-256, so a request cannot be altered, moved to
// another path or another trainer, or made up; the trainer accepts it within ±30 s of its
// own clock and each nonce once, so a captured request cannot be replayed either (nonces
// are remembered per trainer, hence the audience).
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADERS = {
  timestamp: "x-arbiter-timestamp", // milliseconds since the epoch
  nonce: "x-arbiter-nonce",
  bodySha256: "x-arbiter-body-sha256", // hex
  signature: "x-arbiter-signature", // hex HMAC-SHA256 of canonical()
} as const;

/** How far a request's timestamp may be from the trainer's clock. */
export const MAX_SKEW_MS = 30_000;

const CONTEXT = "arbiter trainer rpc v3";

/** HKDF-SHA256 (RFC 5869) of NEXTAUTH_SECRET for the trainer's requests: the key reveals nothing of the secret. */
export function deriveTrainerRpcKey(nextauthSecret: string): string {
  return Buffer.from(hkdfSync("sha256", nextauthSecret, "", "arbiter trainer rpc", 32)).toString("base64url");
}

/** The key both sides sign and check trainer requests with: TRAINER_RPC_KEY, else derived from NEXTAUTH_SECRET; undefined without either. */
export function trainerRpcKey(config: { TRAINER_RPC_KEY?: string; NEXTAUTH_SECRET?: string }): string | undefined {
  return config.TRAINER_RPC_KEY ?? (config.NEXTAUTH_SECRET ? deriveTrainerRpcKey(config.NEXTAUTH_SECRET) : undefined);
}

function signingKey(key: string): Buffer {
  return createHmac("sha256", key).update(CONTEXT).digest();
}

/** The trainer a request is for, as both sides spell it: its advertised URL's origin. */
export function audienceOf(trainerUrl: string): string {
  return new URL(trainerUrl).origin;
}

function canonical(audience: string, method: string, path: string, timestamp: string, nonce: string, bodySha256: string): string {
  return [CONTEXT, audience, method.toUpperCase(), path, timestamp, nonce, bodySha256].join("\n");
}

function sign(key: string, parts: [string, string, string, string, string, string]): string {
  return createHmac("sha256", signingKey(key)).update(canonical(...parts)).digest("hex");
}

export function sha256Hex(body: string | Uint8Array): string {
  return createHash("sha256").update(body).digest("hex");
}

/** The headers that sign one request to the trainer at `trainerUrl`; `path` as the server will see it (path and query). */
export function signRequest(
  key: string,
  req: { trainerUrl: string; method: string; path: string; body: string | Uint8Array },
  opts: { now?: number; nonce?: string } = {},
): Record<string, string> {
  const timestamp = String(opts.now ?? Date.now());
  const nonce = opts.nonce ?? randomBytes(16).toString("hex");
  const bodySha256 = sha256Hex(req.body);
  return {
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.bodySha256]: bodySha256,
    [SIGNATURE_HEADERS.signature]: sign(key, [audienceOf(req.trainerUrl), req.method, req.path, timestamp, nonce, bodySha256]),
  };
}

/**
 * Nonces seen, each kept until its request's timestamp is out of the window (after which
 * the timestamp check refuses a replay by itself). Bounded: when full of live nonces, new
 * requests are refused rather than an old nonce forgotten.
 */
export class NonceCache {
  private readonly seen = new Map<string, number>(); // nonce → when it may be forgotten

  constructor(private readonly maxEntries = 100_000) {}

  /** True the first time a nonce is offered within its window; false for a replay or when full. */
  remember(nonce: string, timestampMs: number, now = Date.now()): boolean {
    for (const [old, until] of this.seen) {
      if (until > now) break; // insertion order is nearly time order; the rest are younger
      this.seen.delete(old);
    }
    if (this.seen.has(nonce) || this.seen.size >= this.maxEntries) return false;
    this.seen.set(nonce, timestampMs + MAX_SKEW_MS + 1_000);
    return true;
  }
}

export type SignatureVerdict = { ok: true; bodySha256: string } | { ok: false; reason: string };

type HeaderBag = Record<string, string | string[] | undefined>;

function one(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  return typeof v === "string" ? v : undefined;
}

/**
 * Checks a request's signature headers before its body is read; the caller then compares
 * the body's SHA-256 with `bodySha256`. The nonce is remembered only for a valid signature,
 * so nobody without the key can fill the cache.
 */
export function verifySignature(key: string, req: { trainerUrl: string; method: string; path: string; headers: HeaderBag }, nonces: NonceCache, now = Date.now()): SignatureVerdict {
  const timestamp = one(req.headers, SIGNATURE_HEADERS.timestamp);
  const nonce = one(req.headers, SIGNATURE_HEADERS.nonce);
  const bodySha256 = one(req.headers, SIGNATURE_HEADERS.bodySha256);
  const signature = one(req.headers, SIGNATURE_HEADERS.signature);
  if (!timestamp || !nonce || !bodySha256 || !signature) return { ok: false, reason: "unsigned request" };
  if (!/^\d{1,16}$/.test(timestamp) || !/^[\w-]{16,128}$/.test(nonce) || !/^[0-9a-f]{64}$/.test(bodySha256) || !/^[0-9a-f]{64}$/.test(signature)) {
    return { ok: false, reason: "malformed signature headers" };
  }
  const expected = Buffer.from(sign(key, [audienceOf(req.trainerUrl), req.method, req.path, timestamp, nonce, bodySha256]), "hex");
  if (!timingSafeEqual(expected, Buffer.from(signature, "hex"))) return { ok: false, reason: "bad signature" };
  const at = Number(timestamp);
  if (Math.abs(now - at) > MAX_SKEW_MS) return { ok: false, reason: "timestamp outside ±30 s (are the clocks in sync?)" };
  if (!nonces.remember(nonce, at, now)) return { ok: false, reason: "replayed request" };
  return { ok: true, bodySha256 };
}
