// Passwords are stored as argon2id hashes (RFC 9106's recommended variant), never plain.
import { hash, verify } from "@node-rs/argon2";
import { randomBytes } from "node:crypto";

// OWASP's minimum for argon2id: m = 19 MiB, t = 2, p = 1.
const ARGON2ID = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 12; // for new passwords (NIST SP 800-63B allows 8; we ask more)
export const MAX_PASSWORD_LENGTH = 1024; // argon2 takes any length; a cap keeps one request's work bounded
export const MAX_EMAIL_LENGTH = 254; // RFC 5321's longest path, less its angle brackets

/**
 * A hash of a random password nobody knows, with the same parameters as every stored hash:
 * a sign-in for an unknown email is checked against it, so it takes as long as one for a
 * known email with a wrong password (tests/unit/password.test.ts keeps its parameters equal).
 */
export const DUMMY_HASH = "$argon2id$v=19$m=19456,t=2,p=1$VkYqWgywlN+FvqL94AOTTw$BpDSSsJKWpf3cUd+kHXw/rvTmfWISwLi/nEBddYit74";

/** The parameters of hashes this version writes, as they appear in the hash string. */
export const HASH_PARAMETERS = `m=${ARGON2ID.memoryCost},t=${ARGON2ID.timeCost},p=${ARGON2ID.parallelism}`;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2ID);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false; // malformed hash: treat as a mismatch, never as a match
  }
}

export function generatePassword(): string {
  return randomBytes(15).toString("base64url");
}
