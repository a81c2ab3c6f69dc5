// OpenAssistant oasst1 message trees. A prompter message may have several assistant
// replies that volunteers ranked (rank 0 best); those siblings become one k-wise ranking
// (equal ranks tie) whose prompt is the conversation from the tree's root down to the
// message they answer (prompter → user, assistant → assistant). Replies without a rank,
// deleted replies, and a message with fewer than two ranked replies form no ranking; the
// prompter's own ranked alternatives are user turns, not responses, and are not compared.
// Sources: the reply's model_name, else "human" (oasst1's replies were written by people).
// Labels (quality, humor, …: mean values 0–1) become the response's ratings.
//
// Two shapes: flat rows (one message a line, as in the Hugging Face dataset; message_id,
// parent_id, role, text, rank, message_tree_id), grouped by message_tree_id (or, without
// it, from each root row, parent_id null, to the next); and nested trees (one tree a line,
// {message_tree_id, prompt: {…, replies: […]}}, as in the *.trees.jsonl files). Flat rows of
// one tree must be adjacent (oasst1 ships them so); memory holds one tree, at most
// MAX_TREE_MESSAGES messages and MAX_TREE_TEXT characters of text, and the ids of the last
// REMEMBERED_TREES trees (a tree whose rows reappear after that many others is read as a
// new one, not reported).
//
// A prompt is built from many lines, so its size is bounded here: a conversation longer
// than MAX_TEXT characters is an invalid ranking, and a tree's rankings together hold at
// most MAX_TREE_PROMPT_TEXT characters of prompts (the later ones past it are invalid).
// Without these a 1.6 MB chain of 480 short messages made 231 MB of prompts.
import { z } from "zod";
import type { Message } from "@/lib/db/schema";
import { MAX_TEXT, describeError, type ImportRecord, type ImportResponse } from "../records";
import { rankByScore } from "./score-ranking";
import type { DatasetReader, Emitted } from "./reader";

export const MAX_TREE_MESSAGES = 10_000;
export const MAX_TREE_TEXT = 16 * MAX_TEXT;
export const MAX_TREE_PROMPT_TEXT = 16 * MAX_TEXT;
export const REMEMBERED_TREES = 10_000;
export const MAX_ID = 200;
const MAX_RANKED = 9; // a comparison holds 2..9 responses
const MAX_DEPTH = 1_000;

// Flat rows list labels as parallel arrays; tree files as { name: { value, count } }.
const labels = z.union([
  z.object({ name: z.array(z.string()), value: z.array(z.number()) }),
  z.record(z.string(), z.object({ value: z.number() })),
]);
const id = z.string().min(1).max(MAX_ID);
const message = z.object({
  message_id: id,
  parent_id: id.nullish(),
  message_tree_id: id.nullish(),
  text: z.string().max(MAX_TEXT),
  role: z.enum(["prompter", "assistant"]),
  rank: z.number().int().min(0).nullish(),
  deleted: z.boolean().nullish(),
  model_name: z.string().trim().min(1).max(200).nullish(),
  labels: labels.nullish(),
});
type Row = z.infer<typeof message> & { line: number };

type NestedMessage = z.infer<typeof message> & { replies?: unknown };

function ratingsOf(l: Row["labels"]): Record<string, number> | undefined {
  if (!l) return undefined;
  const pairs: [string, unknown][] = Array.isArray(l.name) ? l.name.map((n, i) => [n, (l.value as unknown[])[i]]) : Object.entries(l).map(([n, v]) => [n, (v as { value: unknown }).value]);
  const out = Object.fromEntries(pairs.filter(([, v]) => typeof v === "number" && Number.isFinite(v)));
  return Object.keys(out).length > 0 ? (out as Record<string, number>) : undefined;
}

/** Every ranking in one tree's messages, in the order of the lines they came from. */
export function treeRecords(rows: Row[]): Emitted[] {
  const byId = new Map(rows.map((r) => [r.message_id, r]));
  const children = new Map<string, Row[]>();
  for (const r of rows) {
    if (!r.parent_id) continue;
    const siblings = children.get(r.parent_id);
    if (siblings) siblings.push(r);
    else children.set(r.parent_id, [r]);
  }
  const out: Emitted[] = [];
  let promptText = 0;
  for (const [parentId, replies] of children) {
    const ranked = replies.filter((r) => r.role === "assistant" && r.rank != null && !r.deleted).sort((a, b) => a.rank! - b.rank!);
    if (ranked.length < 2) continue;
    const line = Math.min(...ranked.map((r) => r.line));
    try {
      if (ranked.length > MAX_RANKED) throw new Error(`message ${parentId} has ${ranked.length} ranked replies; a ranking holds at most ${MAX_RANKED}`);
      const path: Message[] = [];
      let text = 0;
      for (let id: string | null | undefined = parentId, depth = 0; id; depth++) {
        const m = byId.get(id);
        if (!m) throw new Error(`message ${id}, an ancestor of ranked replies, is not in its tree's rows`);
        if (depth > MAX_DEPTH) throw new Error(`the conversation above message ${parentId} is deeper than ${MAX_DEPTH} turns`);
        text += m.text.length;
        if (text > MAX_TEXT) throw new Error(`the conversation above message ${parentId} is longer than ${MAX_TEXT} characters, the most a prompt holds`);
        path.push({ role: m.role === "prompter" ? "user" : "assistant", content: m.text });
        id = m.parent_id;
      }
      if (promptText + text > MAX_TREE_PROMPT_TEXT) {
        throw new Error(`the rankings of this message tree hold more than ${MAX_TREE_PROMPT_TEXT} characters of prompts; the ranking of the replies to message ${parentId} is left out`);
      }
      promptText += text;
      const responses: ImportResponse[] = ranked.map((r) => ({ text: r.text, source: r.model_name ?? "human", ratings: ratingsOf(r.labels) }));
      if (new Set(responses.map((x) => `${x.source}\u0000${x.text}`)).size !== responses.length) throw new Error(`two ranked replies to message ${parentId} have the same text`);
      const record: ImportRecord = { messages: path.reverse(), responses, ranking: rankByScore(ranked.map((r) => -r.rank!)), gold: false };
      out.push({ line, record });
    } catch (err) {
      out.push({ line, error: describeError(err) });
    }
  }
  return out.sort((a, b) => a.line - b.line);
}

function flatten(node: NestedMessage, parentId: string | null, line: number, into: Row[]): void {
  if (into.length >= MAX_TREE_MESSAGES) throw new Error(`the tree has more than ${MAX_TREE_MESSAGES} messages`);
  const m = message.parse(node);
  into.push({ ...m, parent_id: m.parent_id ?? parentId, line });
  const replies = z.array(z.unknown()).optional().parse(node.replies);
  for (const reply of replies ?? []) flatten(reply as NestedMessage, m.message_id, line, into);
}

/** A nested tree line ({ message_tree_id, prompt: { …, replies } }) → its rankings. */
export function nestedTreeRecords(value: unknown, line: number): Emitted[] {
  const rows: Row[] = [];
  try {
    const tree = z.object({ prompt: z.record(z.string(), z.unknown()) }).parse(value);
    flatten(tree.prompt as NestedMessage, null, line, rows);
  } catch (err) {
    return [{ line, error: describeError(err) }];
  }
  return treeRecords(rows);
}

/** The last `size` keys added (a Set keeps insertion order: the oldest is dropped first). */
function recentKeys(size: number) {
  const keys = new Set<string>();
  return {
    has: (key: string) => keys.has(key),
    add(key: string) {
      keys.add(key);
      if (keys.size > size) keys.delete(keys.values().next().value!);
    },
  };
}

export function oasst1Reader(): DatasetReader {
  let tree: { key: string; rows: Row[]; text: number } | undefined;
  const finished = recentKeys(REMEMBERED_TREES);
  const flush = (): Emitted[] => {
    if (!tree) return [];
    finished.add(tree.key);
    const rows = tree.rows;
    tree = undefined;
    return treeRecords(rows);
  };
  return {
    push(value, line) {
      if (typeof value === "object" && value !== null && "prompt" in value && !("message_id" in value)) return [...flush(), ...nestedTreeRecords(value, line)];
      let m: z.infer<typeof message>;
      try {
        m = message.parse(value);
      } catch (err) {
        return [{ line, error: describeError(err) }];
      }
      const key = m.message_tree_id ?? (m.parent_id ? tree?.key : m.message_id);
      if (!key) return [{ line, error: "a reply before any root message (parent_id null) and without message_tree_id" }];
      const out = tree && tree.key !== key ? flush() : [];
      if (finished.has(key)) return [...out, { line, error: `message tree ${key} was already read: the rows of one tree must be adjacent (sort by message_tree_id)` }];
      tree ??= { key, rows: [], text: 0 };
      if (tree.rows.length >= MAX_TREE_MESSAGES) return [...out, { line, error: `message tree ${key} has more than ${MAX_TREE_MESSAGES} messages` }];
      if (tree.text + m.text.length > MAX_TREE_TEXT) return [...out, { line, error: `message tree ${key} holds more than ${MAX_TREE_TEXT} characters of text` }];
      tree.text += m.text.length;
      tree.rows.push({ ...m, line });
      return out;
    },
    end: flush,
  };
}
