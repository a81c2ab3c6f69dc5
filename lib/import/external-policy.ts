// A policy trained elsewhere comes back (README, "Training elsewhere"): its answers to the
// project's prompts, one `{"prompt": …, "completion": …}` a line, become responses of a
// new source `policy@external-N` (N the next free number in the project, given here) and
// join comparisons against the leaderboard's best sources, as the generate phase does for
// Arbiter's own policies, so annotators judge them next and the leaderboard rates them.
// All or nothing: one transaction, and an invalid line writes nothing.
import { createHash } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { joinComparisons, printable, type NewAnswer } from "@/lib/comparisons/new-source-comparisons";
import { withLongConnection, type Tx } from "@/lib/db/client";
import { prompts, type Message, type Project } from "@/lib/db/schema";
import { loadSourcePatterns } from "@/lib/leaderboard/source-patterns";
import { patternLeaderboard } from "@/lib/leaderboard/source-ratings";
import { formatPrompt } from "@/trainer/tokenizer/format";
import { readLines } from "./read-lines";
import { describeError, MAX_TEXT, toMessages } from "./records";

/** invalid lines listed in an answer (the first ones) */
const MAX_LISTED = 100;
/** Serialises the choice of N per project (pg_advisory_xact_lock's class, "ArEx"). */
const EXTERNAL_LOCK_CLASS = 0x4172_4578;

const message = z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string().max(MAX_TEXT) }).strict();
const answerRecord = z
  .object({
    prompt: z.union([z.string().min(1).max(MAX_TEXT), z.array(message).min(1)]),
    // text, or one assistant message (TRL's conversational prompt-completion form)
    completion: z.union([z.string().max(MAX_TEXT), z.tuple([z.object({ role: z.literal("assistant"), content: z.string().max(MAX_TEXT) }).strict()])]),
  })
  .strict();

export type ExternalPolicyResult = {
  source: string;
  /** lines read */
  answers: number;
  responses: number;
  comparisons: number;
  /** answers to prompts this project does not have (nothing to compare them with) */
  unmatchedPrompts: number;
  /** empty answers, and answers already there or alike every other response to their prompt */
  leftOut: number;
  errors: { line: number; message: string }[];
  committed: boolean;
};

const hash = (s: string) => createHash("sha256").update(s).digest("base64");

/**
 * The project's prompts by the two ways an engine's file writes them: the message list
 * (conversational; also a plain string, read as one user turn), and the transcript text
 * `arbiter export-run` writes in its standard style (formatPrompt). Hashes, not texts.
 */
async function promptIndex(tx: Tx, projectId: string): Promise<Map<string, string>> {
  const index = new Map<string, string>();
  const rows = await tx.select({ id: prompts.id, messages: prompts.messages }).from(prompts).where(eq(prompts.projectId, projectId));
  for (const r of rows) {
    index.set(hash(JSON.stringify(r.messages)), r.id);
    index.set(hash(formatPrompt(r.messages)), r.id);
  }
  return index;
}

function findPrompt(index: Map<string, string>, prompt: string | Message[]): string | undefined {
  if (typeof prompt !== "string") return index.get(hash(JSON.stringify(prompt)));
  return index.get(hash(JSON.stringify(toMessages(prompt)))) ?? index.get(hash(prompt));
}

/** The next `policy@external-N` of the project, under a lock held until the transaction ends. */
export async function nextExternalSource(tx: Tx, projectId: string): Promise<string> {
  await tx.execute(sql`select pg_advisory_xact_lock(${EXTERNAL_LOCK_CLASS}, hashtext(${projectId}))`);
  const { rows } = await tx.execute<{ n: number | null }>(sql`
    select greatest(
      (select max(substring(r.source from '^policy@external-([0-9]+)$')::int)
         from responses r join prompts p on p.id = r.prompt_id
         where p.project_id = ${projectId} and r.source like 'policy@external-%'),
      (select max(substring(a.config ->> 'source' from '^policy@external-([0-9]+)$')::int)
         from model_artifacts a where a.project_id = ${projectId})) as n`);
  return `policy@external-${(rows[0]?.n ?? 0) + 1}`;
}

/** Best-rated sources first (the current leaderboard), then sources nobody has judged yet, by name. */
async function leaderboardOrder(projectId: string): Promise<(a: string, b: string) => number> {
  const board = patternLeaderboard(await loadSourcePatterns(projectId), { resamples: 0 });
  const place = new Map(board.rows.map((r, i) => [r.source, i]));
  const rank = (s: string) => place.get(s) ?? Number.MAX_SAFE_INTEGER;
  return (a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

export async function importExternalPolicy(
  project: Project,
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  opts: { maxBytes: number; maxLineBytes?: number },
): Promise<ExternalPolicyResult> {
  const order = await leaderboardOrder(project.id);
  return withLongConnection((db) =>
    db
      .transaction(async (tx) => {
        const source = await nextExternalSource(tx, project.id);
        const index = await promptIndex(tx, project.id);
        const result: ExternalPolicyResult = { source, answers: 0, responses: 0, comparisons: 0, unmatchedPrompts: 0, leftOut: 0, errors: [], committed: false };
        const answers: NewAnswer[] = [];
        for await (const line of readLines(body, opts)) {
          if (line.tooLong) {
            if (result.errors.length < MAX_LISTED) result.errors.push({ line: line.line, message: "line too long" });
            continue;
          }
          if (!line.text.trim()) continue;
          try {
            const r = answerRecord.parse(JSON.parse(line.text));
            result.answers++;
            const promptId = findPrompt(index, r.prompt);
            if (!promptId) {
              result.unmatchedPrompts++;
              continue;
            }
            const text = printable(typeof r.completion === "string" ? r.completion : r.completion[0]!.content).trim();
            if (!text) {
              result.leftOut++;
              continue;
            }
            answers.push({ promptId, text });
          } catch (err) {
            if (result.errors.length < MAX_LISTED) result.errors.push({ line: line.line, message: err instanceof SyntaxError ? "invalid JSON" : describeError(err) });
          }
        }
        if (result.errors.length > 0) throw new NothingWritten(result);
        const written = await joinComparisons(tx, project, answers, source, { opponentOrder: order });
        return { ...result, ...written, leftOut: result.leftOut + answers.length - written.responses, committed: true };
      })
      .catch((err: unknown) => {
        if (err instanceof NothingWritten) return err.result;
        throw err;
      }),
  );
}

/** Rolls the transaction back and carries what was found. */
class NothingWritten extends Error {
  constructor(readonly result: ExternalPolicyResult) {
    super("invalid lines: nothing written");
  }
}
