// A policy trained elsewhere comes back (README, "Training elsewhere"): its answers to the
// project's prompts, one `{"prompt": …, "completion": …}` a line, become responses of a
// new source `policy@external-N` (N the next free number in the project, given here) and
// join comparisons against the leaderboard's best sources, as the generate phase does for
// Arbiter's own policies, so annotators judge them next and the leaderboard rates them.
// All or nothing: the body is read and every line validated first (at most
// MAX_EXTERNAL_ANSWERS answers), and only then is a transaction opened to number the
// source, write the answers and record the import (import_records, as ordinary imports);
// an invalid line writes nothing but the record of the refused import.
import { createHash } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { joinComparisons, printable, type NewAnswer } from "@/lib/comparisons/new-source-comparisons";
import { withLongConnection, type Db, type Tx } from "@/lib/db/client";
import { prompts, type Project } from "@/lib/db/schema";
import { loadSourcePatterns } from "@/lib/leaderboard/source-patterns";
import { patternLeaderboard } from "@/lib/leaderboard/source-ratings";
import { formatPrompt } from "@/trainer/tokenizer/format";
import { recordImport, type ImportRecordValues } from "./import-record";
import { readLines } from "./read-lines";
import { describeError, MAX_TEXT, toMessages } from "./records";

/** invalid lines listed in an answer (the first ones) */
const MAX_LISTED = 100;
/** Answers one import may carry: they are held in memory until the body has been read whole. */
export const MAX_EXTERNAL_ANSWERS = 100_000;
/** Serialises the choice of N per project (pg_advisory_xact_lock's class, "ArEx"). */
const EXTERNAL_LOCK_CLASS = 0x4172_4578;
/**
 * The sources this module names, `policy@external-N`. N of at most 9 digits: a longer one
 * (which only a row written some other way could hold) is not a number this module gave
 * and is not counted, so it cannot overflow the numbering.
 */
const EXTERNAL_SOURCE = sql.raw(`'^policy@external-([0-9]{1,9})$'`);

const message = z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string().max(MAX_TEXT) }).strict();
const answerRecord = z
  .object({
    prompt: z.union([z.string().min(1).max(MAX_TEXT), z.array(message).min(1)]),
    // text, or one assistant message (TRL's conversational prompt-completion form)
    completion: z.union([z.string().max(MAX_TEXT), z.tuple([z.object({ role: z.literal("assistant"), content: z.string().max(MAX_TEXT) }).strict()])]),
  })
  .strict();

/** More answers than MAX_EXTERNAL_ANSWERS (HTTP 413). */
export class TooManyAnswersError extends Error {
  constructor(readonly limit: number) {
    super(`An external policy's import holds at most ${limit} answers: split the file`);
  }
}

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
  /** the import's row in import_records (when a record was asked for) */
  importId?: string;
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

/** The hashes an answer's prompt may be found under in promptIndex, in the order tried. */
function promptKeys(prompt: z.infer<typeof answerRecord>["prompt"]): string[] {
  if (typeof prompt !== "string") return [hash(JSON.stringify(prompt))];
  return [hash(JSON.stringify(toMessages(prompt))), hash(prompt)];
}

const maxExternalNumber = (projectId: string) => sql`
    select greatest(
      (select max(substring(r.source from ${EXTERNAL_SOURCE})::int)
         from responses r join prompts p on p.id = r.prompt_id
         where p.project_id = ${projectId} and r.source like 'policy@external-%' and r.source ~ ${EXTERNAL_SOURCE}),
      (select max(substring(a.config ->> 'source' from ${EXTERNAL_SOURCE})::int)
         from model_artifacts a where a.project_id = ${projectId} and a.config ->> 'source' ~ ${EXTERNAL_SOURCE})) as n`;

/** The next `policy@external-N` of the project, under a lock held until the transaction ends. */
export async function nextExternalSource(tx: Tx, projectId: string): Promise<string> {
  await tx.execute(sql`select pg_advisory_xact_lock(${EXTERNAL_LOCK_CLASS}, hashtext(${projectId}))`);
  const { rows } = await tx.execute<{ n: number | null }>(maxExternalNumber(projectId));
  return `policy@external-${(rows[0]?.n ?? 0) + 1}`;
}

/** The name the next import would get, without taking it (for the answer of a refused import). */
async function peekExternalSource(db: Db, projectId: string): Promise<string> {
  const { rows } = await db.execute<{ n: number | null }>(maxExternalNumber(projectId));
  return `policy@external-${(rows[0]?.n ?? 0) + 1}`;
}

/** Best-rated sources first (the current leaderboard), then sources nobody has judged yet, by name. */
async function leaderboardOrder(projectId: string): Promise<(a: string, b: string) => number> {
  const board = patternLeaderboard(await loadSourcePatterns(projectId), { resamples: 0 });
  const place = new Map(board.rows.map((r, i) => [r.source, i]));
  const rank = (s: string) => place.get(s) ?? Number.MAX_SAFE_INTEGER;
  return (a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** A valid line, kept until the body is read whole: where its prompt may be found, and its answer. */
type ReadAnswer = { keys: string[]; text: string };

type ReadBody = { answers: ReadAnswer[]; errors: { line: number; message: string }[]; invalid: number; bytes: number; sha256: string };

/** Reads and validates every line, with no database work, hashing the body as received. */
async function readAnswers(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>, opts: { maxBytes: number; maxLineBytes?: number }): Promise<ReadBody> {
  const digest = createHash("sha256");
  let bytes = 0;
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      digest.update(chunk);
      bytes += chunk.byteLength;
      yield chunk;
    }
  }
  const read: ReadBody = { answers: [], errors: [], invalid: 0, bytes: 0, sha256: "" };
  let lines = 0;
  for await (const line of readLines(hashed(), opts)) {
    if (line.tooLong || line.text.trim()) {
      if (++lines > MAX_EXTERNAL_ANSWERS) throw new TooManyAnswersError(MAX_EXTERNAL_ANSWERS);
    }
    const fail = (message: string) => {
      read.invalid++;
      if (read.errors.length < MAX_LISTED) read.errors.push({ line: line.line, message });
    };
    if (line.tooLong) {
      fail("line too long");
      continue;
    }
    if (!line.text.trim()) continue;
    try {
      const r = answerRecord.parse(JSON.parse(line.text));
      read.answers.push({ keys: promptKeys(r.prompt), text: printable(typeof r.completion === "string" ? r.completion : r.completion[0]!.content).trim() });
    } catch (err) {
      fail(err instanceof SyntaxError ? "invalid JSON" : describeError(err));
    }
  }
  return { ...read, bytes, sha256: digest.digest("hex") };
}

export async function importExternalPolicy(
  project: Project,
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  opts: {
    maxBytes: number;
    maxLineBytes?: number;
    /** record the import (import_records) as made by this user (null: the command line) from this file */
    record?: { userId: string | null; fileName?: string | null };
  },
): Promise<ExternalPolicyResult> {
  const startedAt = new Date();
  const read = await readAnswers(body, opts);
  const recordValues = (result: ExternalPolicyResult): ImportRecordValues => ({
    projectId: project.id,
    userId: opts.record!.userId,
    fileName: opts.record!.fileName ?? null,
    format: "ndjson",
    gzip: false,
    dataset: null,
    options: { externalPolicy: true, source: result.source },
    bytes: read.bytes,
    sha256: read.sha256,
    counts: { answers: result.answers, responses: result.responses, comparisons: result.comparisons, unmatchedPrompts: result.unmatchedPrompts, leftOut: result.leftOut },
    validRecords: read.answers.length,
    invalidLines: read.invalid,
    committed: result.committed,
    startedAt,
  });
  return withLongConnection(async (db) => {
    if (read.errors.length > 0) {
      const refused: ExternalPolicyResult = { source: await peekExternalSource(db, project.id), answers: read.answers.length, responses: 0, comparisons: 0, unmatchedPrompts: 0, leftOut: 0, errors: read.errors, committed: false };
      if (opts.record) refused.importId = await recordImport(recordValues(refused));
      return refused;
    }
    const order = await leaderboardOrder(project.id);
    return db.transaction(async (tx) => {
      const source = await nextExternalSource(tx, project.id);
      const index = await promptIndex(tx, project.id);
      const result: ExternalPolicyResult = { source, answers: read.answers.length, responses: 0, comparisons: 0, unmatchedPrompts: 0, leftOut: 0, errors: [], committed: true };
      const answers: NewAnswer[] = [];
      for (const a of read.answers) {
        const promptId = a.keys.map((k) => index.get(k)).find((id) => id !== undefined);
        if (!promptId) result.unmatchedPrompts++;
        else if (!a.text) result.leftOut++;
        else answers.push({ promptId, text: a.text });
      }
      const written = await joinComparisons(tx, project, answers, source, { opponentOrder: order });
      Object.assign(result, written, { leftOut: result.leftOut + answers.length - written.responses });
      if (opts.record) result.importId = await recordImport(recordValues(result), tx);
      return result;
    });
  });
}
