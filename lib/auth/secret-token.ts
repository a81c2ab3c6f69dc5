// Opaque secrets (API tokens, invite links): random, shown once, stored as SHA-256.
// A fast hash is right here: the secret has 256 bits of entropy, unlike a password.
import { createHash, randomBytes } from "node:crypto";

export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString("base64url")}`;
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}
