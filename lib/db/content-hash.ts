// The rule behind the content_hash columns (prompts, responses, demonstrations) that their
// unique keys use: every writer must hash a text the same way, or one text becomes two rows.
import { createHash } from "node:crypto";

/** SHA-256 of the text, hex: a prompt's as JSON.stringify(messages), a response's or demonstration's as its text. */
export function contentHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
