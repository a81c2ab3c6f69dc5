// Import records (API.md, "Import records"), validated and brought to one shape.
import { z } from "zod";
import type { Message } from "@/lib/db/schema";
import { preferencePair } from "./preference-pair";

export const MAX_TEXT = 200_000;

const text = z.string().min(1, "must not be empty").max(MAX_TEXT);
const message = z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string().max(MAX_TEXT) }).strict();
const promptField = z.union([text, z.array(message).min(1, "a conversation needs at least one message")]);
const source = z.string().trim().min(1).max(200);

const responsesRecord = z
  .object({
    prompt: promptField,
    responses: z.array(z.object({ text, source: source.optional() }).strict()).min(2, "give at least 2 responses").max(50),
  })
  .strict();
// chosen and rejected: strings, or message lists (TRL's conversational form)
const side = z.union([text, z.array(message).min(1, "a conversation needs at least one message")]);
const preferenceRecord = z
  .object({
    prompt: promptField.optional(),
    chosen: side,
    rejected: side,
    chosen_source: source.optional(),
    rejected_source: source.optional(),
    gold: z.boolean().optional(),
  })
  .strict();
const rankingRecord = z
  .object({ prompt: promptField, ranking: z.array(text).min(2).max(9), sources: z.array(source).optional(), gold: z.boolean().optional() })
  .strict();
const demonstrationRecord = z.object({ prompt: promptField, completion: text, source: source.optional() }).strict();
const promptRecord = z.object({ prompt: promptField }).strict();

export type ImportResponse = {
  text: string;
  source: string;
  /** the dataset's own scores of this response (UltraFeedback's aspect ratings, HelpSteer2's attributes) */
  ratings?: Record<string, number>;
};
/** A reference completion for supervised fine-tuning: stored apart, never shown to annotators. */
export type ImportDemonstration = { text: string; source: string };

/** One import line after validation: a prompt, its responses, and an optional known order. */
export type ImportRecord = {
  messages: Message[];
  responses: ImportResponse[];
  /** set for `{ prompt, completion }` records, which have no responses */
  demonstration?: ImportDemonstration;
  /** indexes into `responses`, best first, as tie groups; set for preferences and rankings */
  ranking?: number[][];
  /** the ranking is the known answer of a gold comparison, not an annotator's judgment */
  gold: boolean;
  /** the imported judgment says both responses are bad (Chatbot Arena's "tie (bothbad)") */
  bothBad?: boolean;
  /** per-criterion rankings for the imported judgment, like `ranking` */
  criteria?: Record<string, number[][]>;
};

export const DEFAULT_SOURCE = "unknown";

/** Why TRL's unpaired preference records are refused (docs/API.md says the same). */
export const UNPAIRED_REFUSAL =
  "TRL unpaired preference records (prompt, completion, label) are not imported: a label judges one completion alone, and Arbiter keeps comparisons between responses; " +
  "pairing a prompt's desirable and undesirable completions would invent comparisons nobody made. Import paired data (prompt, chosen, rejected), " +
  "or the label=true completions without the label as demonstrations";

/**
 * Source names Arbiter gives its own policies' answers (`policy@round-N` from the generate
 * phase, `policy@external-N` from lib/import/external-policy.ts): an import naming one
 * would pass its rows off as a policy's, and could put the numbering of the next ones out.
 */
export const RESERVED_SOURCE_PREFIX = "policy@";

/** Throws when a record's response or demonstration names a reserved source. */
export function refuseReservedSources(record: ImportRecord): void {
  const reserved = [...record.responses.map((r) => r.source), ...(record.demonstration ? [record.demonstration.source] : [])].find((s) => s.startsWith(RESERVED_SOURCE_PREFIX));
  if (reserved !== undefined) {
    throw new Error(`source "${reserved.slice(0, 60)}" is reserved: names starting with "${RESERVED_SOURCE_PREFIX}" are Arbiter's own policies'; import a policy's answers with externalPolicy=1 (arbiter import --external-policy)`);
  }
}

export function toMessages(prompt: string | Message[]): Message[] {
  return typeof prompt === "string" ? [{ role: "user", content: prompt }] : prompt;
}

/** Validates one parsed line; throws with a message that names the problem. */
export function normalizeRecord(value: unknown): ImportRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("each line must be a JSON object");
  const keys = new Set(Object.keys(value));
  if (keys.has("responses")) {
    const r = responsesRecord.parse(value);
    return {
      messages: toMessages(r.prompt),
      responses: r.responses.map((x) => ({ text: x.text, source: x.source ?? DEFAULT_SOURCE })),
      gold: false,
    };
  }
  if (keys.has("chosen") || keys.has("rejected")) {
    const r = preferenceRecord.parse(value);
    const { messages, chosen, rejected } = preferencePair(r.prompt === undefined ? undefined : toMessages(r.prompt), r.chosen, r.rejected);
    if (chosen === rejected) throw new Error("chosen and rejected are the same text");
    return {
      messages,
      responses: [
        { text: chosen, source: r.chosen_source ?? DEFAULT_SOURCE },
        { text: rejected, source: r.rejected_source ?? DEFAULT_SOURCE },
      ],
      ranking: [[0], [1]],
      gold: r.gold ?? false,
    };
  }
  if (keys.has("ranking")) {
    const r = rankingRecord.parse(value);
    if (r.sources && r.sources.length !== r.ranking.length) throw new Error("sources must have one entry per ranked response");
    if (new Set(r.ranking).size !== r.ranking.length) throw new Error("ranking lists the same text twice");
    return {
      messages: toMessages(r.prompt),
      responses: r.ranking.map((t, i) => ({ text: t, source: r.sources?.[i] ?? DEFAULT_SOURCE })),
      ranking: r.ranking.map((_, i) => [i]),
      gold: r.gold ?? false,
    };
  }
  if (keys.has("completion")) {
    if (keys.has("label")) throw new Error(UNPAIRED_REFUSAL);
    const r = demonstrationRecord.parse(value);
    return { messages: toMessages(r.prompt), responses: [], demonstration: { text: r.completion, source: r.source ?? DEFAULT_SOURCE }, gold: false };
  }
  if (keys.has("prompt")) return { messages: toMessages(promptRecord.parse(value).prompt), responses: [], gold: false };
  throw new Error("unknown record: expected prompt with responses, chosen/rejected, ranking, completion, or a bare prompt");
}

/** CSV rows (with a header) map onto the same records: see docs/API.md. */
export function csvRowToRecord(row: Record<string, string>): unknown {
  const get = (k: string) => (row[k] === undefined || row[k] === "" ? undefined : row[k]);
  const numbered = (prefix: string) =>
    Object.keys(row)
      .map((k) => new RegExp(`^${prefix}_(\\d+)$`).exec(k))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b)
      .filter((i) => get(`${prefix}_${i}`) !== undefined);
  const prompt = get("prompt");
  // A completion in a row of another kind is passed on, so that the strict schemas
  // refuse the row instead of dropping the completion silently.
  const completion = get("completion") === undefined ? {} : { completion: get("completion") };
  if (get("chosen") !== undefined || get("rejected") !== undefined) {
    return { prompt, chosen: get("chosen"), rejected: get("rejected"), ...(get("gold") === "true" ? { gold: true } : {}), ...completion };
  }
  const ranked = numbered("ranking");
  if (ranked.length > 0) return { prompt, ranking: ranked.map((i) => get(`ranking_${i}`)), ...completion };
  const responses = numbered("response");
  if (responses.length > 0) {
    return { prompt, responses: responses.map((i) => ({ text: get(`response_${i}`), ...(get(`source_${i}`) ? { source: get(`source_${i}`) } : {}) })), ...completion };
  }
  // With a completion column every remaining row is a demonstration: an empty cell is an
  // invalid completion, not a bare prompt.
  if (row.completion !== undefined) return { prompt, completion: row.completion, ...(get("source") ? { source: get("source") } : {}) };
  return { prompt };
}

export function describeError(err: unknown): string {
  if (err instanceof z.ZodError) {
    return err.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
  }
  return err instanceof Error ? err.message : String(err);
}
