// HelpSteer2 (nvidia/HelpSteer2): one response a line, rated 0–4 on helpfulness,
// correctness, coherence, complexity and verbosity. The responses to one prompt (HelpSteer2
// ships them on adjacent lines, two per prompt) form one comparison: ranked by helpfulness
// (equal scores tie), each attribute a per-criterion ranking (highest score first: for
// complexity and verbosity that is the most complex or verbose, not the best), and every
// response keeps its five scores. A prompt with one response is kept with its scores, in no
// comparison. Only adjacent lines are grouped: memory holds one prompt's lines, at most
// MAX_GROUP; the same prompt further on forms another comparison.
import { z } from "zod";
import type { Message } from "@/lib/db/schema";
import { MAX_TEXT, DEFAULT_SOURCE, describeError, type ImportRecord, type ImportResponse } from "../records";
import { criteriaRankings, rankByScore } from "./score-ranking";
import type { DatasetReader, Emitted } from "./reader";

export const ATTRIBUTES = ["helpfulness", "correctness", "coherence", "complexity", "verbosity"] as const;
const MAX_GROUP = 9; // a comparison holds 2..9 responses

// CSV gives numbers as text: coerce.
const attribute = z.coerce.number().finite().min(0).max(4);
const row = z.object({
  prompt: z.string().min(1, "must not be empty").max(MAX_TEXT),
  response: z.string().max(MAX_TEXT),
  helpfulness: attribute,
  correctness: attribute.optional(),
  coherence: attribute.optional(),
  complexity: attribute.optional(),
  verbosity: attribute.optional(),
});
type Row = z.infer<typeof row>;

const TURN = /<extra_id_1>(User|Assistant)\n/g;

/**
 * HelpSteer2's multi-turn prompts hold the earlier turns in one string, each after
 * "<extra_id_1>Assistant\n" or "<extra_id_1>User\n" (the first user turn unmarked).
 */
export function helpsteerPrompt(prompt: string): Message[] {
  const marks = [...prompt.matchAll(TURN)];
  if (marks.length === 0) return [{ role: "user", content: prompt }];
  const out: Message[] = [{ role: "user", content: prompt.slice(0, marks[0]!.index).trim() }];
  marks.forEach((m, i) => {
    const end = i + 1 < marks.length ? marks[i + 1]!.index : prompt.length;
    out.push({ role: m[1] === "User" ? "user" : "assistant", content: prompt.slice(m.index! + m[0].length, end).trim() });
  });
  return out.filter((m, i) => i > 0 || m.content !== "");
}

function groupRecord(rows: Row[]): ImportRecord {
  const responses: ImportResponse[] = [];
  for (const r of rows) {
    if (responses.some((x) => x.text === r.response)) throw new Error("the same response to this prompt appears twice");
    const ratings: Record<string, number> = {};
    for (const a of ATTRIBUTES) if (r[a] !== undefined) ratings[a] = r[a];
    responses.push({ text: r.response, source: DEFAULT_SOURCE, ratings });
  }
  const record: ImportRecord = { messages: helpsteerPrompt(rows[0]!.prompt), responses, gold: false };
  if (responses.length >= 2) {
    record.ranking = rankByScore(rows.map((r) => r.helpfulness));
    record.criteria = criteriaRankings(responses.map((x) => x.ratings!), ATTRIBUTES);
  }
  return record;
}

export function helpsteer2Reader(): DatasetReader {
  let group: { prompt: string; line: number; rows: Row[] } | undefined;
  const flush = (): Emitted[] => {
    if (!group) return [];
    const { line, rows } = group;
    group = undefined;
    try {
      return [{ line, record: groupRecord(rows) }];
    } catch (err) {
      return [{ line, error: describeError(err) }];
    }
  };
  return {
    push(value, line) {
      let r: Row;
      try {
        r = row.parse(value);
      } catch (err) {
        return [{ line, error: describeError(err) }];
      }
      const out = group && group.prompt !== r.prompt ? flush() : [];
      if (!group) group = { prompt: r.prompt, line, rows: [] };
      if (group.rows.length >= MAX_GROUP) return [...out, { line, error: `more than ${MAX_GROUP} responses to one prompt on adjacent lines` }];
      group.rows.push(r);
      return out;
    },
    end: flush,
  };
}
