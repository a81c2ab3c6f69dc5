// Passwords are stored as argon2id hashes (RFC 9106's recommended variant), never plain.
import { hash, verify } from "@node-rs/argon2";
import { randomBytes } from "node:crypto";

// OWASP's minimum for argon2id: m = 19 MiB, t = 2, p = 1.
const ARGON2ID = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 8;

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
