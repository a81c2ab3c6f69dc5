// The project's prompts as the policy sees them: formatted, tokenized and cut from the left
// to the room the context leaves (generate.ts fitPrompt: the same tokens in sampling and in
// training), split into the training prompts and the held-out evaluation slice.
import { desc, eq } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { prompts as promptsTable } from "@/lib/db/schema";
import { isHeldOutPrompt } from "@/lib/rounds/held-out";
import { fitPrompt } from "../generate";
import { formatPrompt, type Message } from "../tokenizer/format";
import type { Tokenizer } from "../tokenizer/tokenizer";

export type RoundPrompt = { id: string; text: string; ids: number[] };

const MAX_PROMPTS = 5000;

export async function roundPrompts(db: Db, projectId: string, tok: Tokenizer, room: number, which: "train" | "held-out"): Promise<RoundPrompt[]> {
  const rows = await db
    .select({ id: promptsTable.id, messages: promptsTable.messages })
    .from(promptsTable)
    .where(eq(promptsTable.projectId, projectId))
    .orderBy(desc(promptsTable.createdAt), promptsTable.id)
    .limit(MAX_PROMPTS);
  return rows
    .filter((r) => isHeldOutPrompt(r.id) === (which === "held-out"))
    .map((r) => {
      const text = formatPrompt(r.messages as Message[]);
      return { id: r.id, text, ids: fitPrompt(tok.encode(text), room, tok.eos) };
    });
}
