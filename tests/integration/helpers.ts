import { randomUUID } from "node:crypto";

/** A unique email per call, so tests sharing one database never collide. */
export function uniqueEmail(label = "user"): string {
  return `${label}-${randomUUID().slice(0, 8)}@test.example`;
}
