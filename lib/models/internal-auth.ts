// The web app and the trainer are separate processes; the trainer's scoring server only
// answers requests that carry a key derived from the secret both were started with
// (NEXTAUTH_SECRET), so another local user cannot drive it.
import { createHmac, timingSafeEqual } from "node:crypto";

export const INTERNAL_HEADER = "x-arbiter-internal";

export function internalKey(secret: string): string {
  return createHmac("sha256", secret).update("arbiter trainer rpc v1").digest("hex");
}

export function isInternalKey(secret: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(internalKey(secret));
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
