// oasst1 builds each prompt from many lines (the conversation from the tree's root), so its
// size is bounded by the reader, not by the line limit (issue 21 review): a chain of 480
// levels of 1 KB messages (1.6 MB) made 231 MB of prompts; ids are bounded, and the trees
// remembered for the adjacency check are the last REMEMBERED_TREES.
import { describe, expect, it } from "vitest";
import { MAX_ID, MAX_TREE_PROMPT_TEXT, MAX_TREE_TEXT, REMEMBERED_TREES, oasst1Reader } from "@/lib/import/datasets/oasst1";
import type { DatasetReader, Emitted } from "@/lib/import/datasets/reader";
import { MAX_TEXT } from "@/lib/import/records";

function readAll(reader: DatasetReader, values: unknown[]): Emitted[] {
  return [...values.flatMap((v, i) => reader.push(v, i + 1)), ...reader.end()];
}

const row = (message_id: string, parent_id: string | null, role: "prompter" | "assistant", text: string, rank: number | null = null, tree = "t1") => ({
  message_id,
  parent_id,
  message_tree_id: tree,
  role,
  text,
  rank,
});

/** Prompter p0 → ranked replies a0, b0; a0 → prompter p1 → a1, b1; … : a ranking at every level. */
function chain(levels: number, textChars: number) {
  const rows = [];
  const text = (tag: string) => `${tag} ${"x".repeat(textChars - tag.length - 1)}`;
  for (let i = 0; i < levels; i++) {
    rows.push(row(`p${i}`, i === 0 ? null : `a${i - 1}`, "prompter", text(`p${i}`)));
    rows.push(row(`a${i}`, `p${i}`, "assistant", text(`a${i}`), 0));
    rows.push(row(`b${i}`, `p${i}`, "assistant", text(`b${i}`), 1));
  }
  return rows;
}

const promptChars = (out: Emitted[]) =>
  out.reduce((sum, e) => sum + ("record" in e ? e.record.messages.reduce((s, m) => s + m.content.length, 0) : 0), 0);

describe("oasst1 limits", () => {
  it("a chain of 480 levels of 1 KB messages no longer makes 231 MB of prompts", () => {
    const rows = chain(480, 1000);
    expect(JSON.stringify(rows).length).toBeLessThan(1_600_000);
    const out = readAll(oasst1Reader(), rows);
    expect(out).toHaveLength(480); // one ranking a level, valid or not
    const records = out.filter((e) => "record" in e);
    for (const e of records) expect(e.record.messages.reduce((s, m) => s + m.content.length, 0)).toBeLessThanOrEqual(MAX_TEXT);
    expect(promptChars(out)).toBeLessThanOrEqual(MAX_TREE_PROMPT_TEXT);
    // the conversations up to the limit are kept, those past it are invalid lines naming it
    expect(records.length).toBeGreaterThan(50);
    const errors = out.filter((e) => "error" in e);
    expect(errors.length).toBeGreaterThan(300);
    expect(errors.map((e) => e.error)).toContainEqual(expect.stringMatching(new RegExp(`prompts; the ranking of the replies to message p\\d+ is left out`)));
    expect(errors.at(-1)!.error).toMatch(new RegExp(`the conversation above message p479 is longer than ${MAX_TEXT} characters, the most a prompt holds`));
  });

  it("refuses the rows of a tree past MAX_TREE_TEXT characters", () => {
    const big = "y".repeat(MAX_TEXT);
    const rows = [row("r", null, "prompter", "q"), ...Array.from({ length: 17 }, (_, i) => row(`m${i}`, "r", "assistant", big))];
    const out = readAll(oasst1Reader(), rows);
    // "q" and 15 replies fill it but for one character: the 16th and 17th replies (lines 17, 18) are refused
    expect(out.filter((e) => "error" in e).map((e) => e.line)).toEqual([17, 18]);
    expect(out.find((e) => "error" in e)).toMatchObject({ error: `message tree t1 holds more than ${MAX_TREE_TEXT} characters of text` });
  });

  it("refuses ids longer than MAX_ID characters (they are copied into every error listed)", () => {
    const long = "i".repeat(MAX_ID + 1);
    const out = readAll(oasst1Reader(), [row(long, null, "prompter", "q", null, "t9"), row("ok", null, "prompter", "q", null, long)]);
    expect(out.map((e) => ("error" in e ? e.error : ""))).toEqual([
      expect.stringMatching(/^message_id: Too big: expected string to have <=200 characters/),
      expect.stringMatching(/^message_tree_id: Too big: expected string to have <=200 characters/),
    ]);
  });

  it(`remembers the last ${REMEMBERED_TREES} trees: a tree met again among them is refused, one older is read again`, () => {
    const reader = oasst1Reader();
    const trees = REMEMBERED_TREES + 1;
    let line = 0;
    for (let t = 0; t < trees; t++) reader.push(row(`root${t}`, null, "prompter", "q", null, `tree${t}`), ++line);
    const recent = reader.push(row("again", "root5000", "assistant", "late reply", null, `tree5000`), ++line);
    expect(recent).toEqual([{ line, error: expect.stringMatching(/message tree tree5000 was already read/) }]);
    const forgotten = reader.push(row("again0", "root0", "assistant", "late reply", null, "tree0"), ++line);
    expect(forgotten).toEqual([]);
  });
});
