// Inputs for the property-based tests of the import and the judgment endpoint: strings that
// have broken parsers and databases before (NUL, lone surrogates, a BOM, HH turn markers,
// prototype keys, huge numbers as text), JSON-like values built from them with the field
// names the import's readers look for, and files made of such lines. Each property runs a
// bounded number of times (FUZZ_RUNS scales them) so the suite stays fast on two busy cores.
import { gzipSync } from "node:zlib";
import fc from "fast-check";

// One seed for every property unless FUZZ_SEED names another (`FUZZ_SEED=random` draws one,
// printed by fast-check on a failure): the suite's runs are the same inputs every time, so
// CI never passes or fails by the draw; a hunt sets FUZZ_SEED and FUZZ_RUNS.
const seed = process.env.FUZZ_SEED;
if (seed !== "random") fc.configureGlobal({ seed: Number(seed ?? 20261130) });

/** numRuns for a property: `base`, times FUZZ_RUNS (default 1) for a longer hunt. */
export function runs(base: number): number {
  return Math.max(1, Math.round(base * Number(process.env.FUZZ_RUNS ?? "1")));
}

const TRICKY = [
  "",
  " ",
  "a",
  "b",
  "\u0000",
  "x\u0000y",
  "\ud800",
  "\uFEFF{",
  "\r",
  "\n\nHuman: hi",
  "\n\nHuman: hi\n\nAssistant: hello",
  "\n\nAssistant: ",
  "Human:",
  "<extra_id_1>User\n",
  "<extra_id_1>Assistant\nok",
  "user",
  "assistant",
  "system",
  "prompter",
  "model_a",
  "model_b",
  "tie",
  "tie (bothbad)",
  "__proto__",
  "constructor",
  "toString",
  "N/A",
  "5",
  "-1",
  "1e999",
  "true",
  "00000000-0000-0000-0000-000000000000",
];

export const trickyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
  { weight: 3, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...TRICKY), fc.constantFrom(...TRICKY)).map(([a, b]) => a + b) },
);

/** Field names the import's readers and the judgment body look for. */
export const FIELDS = [
  "prompt", "responses", "text", "source", "chosen", "rejected", "chosen_source", "rejected_source", "gold", "ranking", "sources",
  "completion", "label", "role", "content", "instruction", "completions", "model", "response", "overall_score", "fine-grained_score",
  "annotations", "Rating", "score_chosen", "score_rejected", "model_a", "model_b", "winner", "conversation_a", "conversation_b",
  "message_id", "parent_id", "message_tree_id", "rank", "deleted", "model_name", "labels", "name", "value", "replies", "helpfulness",
  "correctness", "coherence", "complexity", "verbosity", "clientId", "comparisonId", "strength", "bothBad", "criteria", "rationale", "durationMs",
];

const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FIELDS) }, { weight: 1, arbitrary: trickyString });

const number = fc.oneof(fc.integer({ min: -2, max: 12 }), fc.double(), fc.constantFrom(0, -0, 1e308, Number.MAX_SAFE_INTEGER + 2, 0.5));

/** Any JSON value, leaning to the shapes and names the code reads. */
export const jsonish: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", maxDepth: 5 },
    trickyString,
    number,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 6 }),
  ),
})).value;

const msgs = (...turns: [string, string][]) => turns.map(([role, content]) => ({ role, content }));

/** A valid record of each kind the import reads, to mutate. */
export const TEMPLATES: Record<string, unknown>[] = [
  { prompt: "Q1", responses: [{ text: "A", source: "m1" }, { text: "B", source: "m2" }] },
  { prompt: "Q2", chosen: "good", rejected: "bad" },
  { chosen: "Q3 good", rejected: "Q3 bad" },
  { chosen: "\n\nHuman: hi\n\nAssistant: hello", rejected: "\n\nHuman: hi\n\nAssistant: go away" },
  { prompt: msgs(["user", "Q4"]), chosen: msgs(["assistant", "yes"]), rejected: msgs(["assistant", "no"]) },
  { prompt: "Q5", ranking: ["r1", "r2", "r3"], sources: ["a", "b", "c"] },
  { prompt: "Q6", completion: "demo" },
  { prompt: "Q7" },
  { instruction: "Q8", completions: [{ model: "a", response: "x", overall_score: 3, annotations: { honesty: { Rating: "4" } } }, { model: "b", response: "y", overall_score: 5 }] },
  { prompt: "Q9", chosen: msgs(["user", "Q9"], ["assistant", "c"]), rejected: msgs(["user", "Q9"], ["assistant", "r"]), score_chosen: 8, score_rejected: 2 },
  { model_a: "a", model_b: "b", winner: "model_a", conversation_a: msgs(["user", "Q10"], ["assistant", "x"]), conversation_b: msgs(["user", "Q10"], ["assistant", "y"]) },
  { prompt: "Q11", response: "r", helpfulness: 3, correctness: 2 },
  { message_id: "m1", parent_id: null, message_tree_id: "t1", text: "Q12", role: "prompter" },
  { message_id: "m2", parent_id: "m1", message_tree_id: "t1", text: "a", role: "assistant", rank: 0 },
  { message_tree_id: "t2", prompt: { message_id: "n1", text: "Q13", role: "prompter", replies: [{ message_id: "n2", text: "a", role: "assistant", rank: 0 }, { message_id: "n3", text: "b", role: "assistant", rank: 1 }] } },
];

/** A template with some fields replaced, added or dropped. */
export const mutatedRecord: fc.Arbitrary<unknown> = fc
  .tuple(fc.constantFrom(...TEMPLATES), fc.dictionary(fc.constantFrom(...FIELDS), jsonish, { maxKeys: 2 }), fc.array(fc.constantFrom(...FIELDS), { maxLength: 2 }))
  .map(([template, patch, drop]) => {
    const out: Record<string, unknown> = { ...template, ...patch };
    for (const k of drop) delete out[k];
    return out;
  });

/** One line of an NDJSON file: a record (valid, mutated or anything) or not JSON at all. */
const ndjsonLine = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TEMPLATES).map((t) => JSON.stringify(t)) },
  { weight: 4, arbitrary: mutatedRecord.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: jsonish.map((v) => JSON.stringify(v) ?? "") },
  { weight: 1, arbitrary: trickyString },
);

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const csvFile = fc
  .tuple(
    fc.uniqueArray(fc.oneof(fc.constantFrom("prompt", "chosen", "rejected", "response_1", "response_2", "source_1", "ranking_1", "ranking_2", "completion", "gold", "response", "helpfulness"), trickyString), { minLength: 1, maxLength: 5 }),
    fc.array(fc.array(trickyString, { maxLength: 6 }), { maxLength: 5 }),
  )
  .map(([header, rows]) => [header, ...rows].map((r) => r.map(csvCell).join(",")).join("\n"));

export type ImportBody = { bytes: Uint8Array; note: string };

const encoder = new TextEncoder();

/** The body of an import: NDJSON or CSV text, arbitrary bytes, any of them gzipped whole or cut short. */
export const importBody: fc.Arbitrary<ImportBody> = fc
  .tuple(
    fc.oneof(
      { weight: 5, arbitrary: fc.tuple(fc.array(ndjsonLine, { minLength: 0, maxLength: 8 }), fc.constantFrom("\n", "\r\n")).map(([lines, eol]) => lines.join(eol)).map((t) => ({ bytes: encoder.encode(t), note: "ndjson" })) },
      { weight: 2, arbitrary: csvFile.map((t) => ({ bytes: encoder.encode(t), note: "csv" })) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes, note: "bytes" })) },
      // Parquet's magic at both ends around anything
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => ({ bytes: new Uint8Array([...encoder.encode("PAR1"), ...b, ...encoder.encode("PAR1")]), note: "parquet-ish" })) },
    ),
    fc.constantFrom("plain", "plain", "plain", "gzip", "gzip-cut"),
  )
  .map(([body, wrap]) => {
    if (wrap === "plain") return body;
    const gz = gzipSync(body.bytes);
    return { bytes: wrap === "gzip" ? gz : gz.subarray(0, Math.max(2, gz.length - 5)), note: `${body.note}+${wrap}` };
  });
