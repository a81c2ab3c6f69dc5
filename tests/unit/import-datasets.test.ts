// The dataset readers (lib/import/datasets/) on small records written from each dataset's
// documented schema: UltraFeedback and its binarized form, HelpSteer2, oasst1 (flat rows
// and nested trees), Chatbot Arena; and detection from the first record.
import { describe, expect, it } from "vitest";
import { datasetReader, detectDataset } from "@/lib/import/datasets";
import { chatbotArenaRecord } from "@/lib/import/datasets/chatbot-arena";
import { helpsteer2Reader, helpsteerPrompt } from "@/lib/import/datasets/helpsteer2";
import { oasst1Reader } from "@/lib/import/datasets/oasst1";
import type { DatasetReader, Emitted } from "@/lib/import/datasets/reader";
import { ultrafeedbackBinarizedRecord, ultrafeedbackRecord } from "@/lib/import/datasets/ultrafeedback";
import { describeError } from "@/lib/import/records";

function readAll(reader: DatasetReader, values: unknown[]): Emitted[] {
  return [...values.flatMap((v, i) => reader.push(v, i + 1)), ...reader.end()];
}
const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return describeError(err);
  }
  throw new Error("expected a refusal");
};

// openbmb/UltraFeedback: annotations as the Hugging Face copy has them (one object per aspect)
const ufCompletion = (model: string, response: string, overall: number, ratings: [string, string, string, string]) => ({
  model,
  principle: "helpfulness",
  custom_system_prompt: "You are a helpful assistant.",
  response,
  annotations: {
    helpfulness: { Rating: ratings[0], Rationale: "…", "Rationale For Rating": "…", Type: ["1", "2"] },
    honesty: { Rating: ratings[1], Rationale: "…" },
    instruction_following: { Rating: ratings[2], Rationale: "…" },
    truthfulness: { Rating: ratings[3], Rationale: "…", "Rationale For Rating": "…", Type: ["0"] },
  },
  "fine-grained_score": ratings.map(Number).filter(Number.isFinite).reduce((a, b) => a + b, 0) / 4,
  overall_score: overall,
  critique: "…",
});
const ultrafeedback = {
  source: "evol_instruct",
  instruction: "Name three primary colours.",
  models: ["gpt-4", "alpaca-7b", "falcon-40b-instruct", "llama-2-7b-chat"],
  completions: [
    ufCompletion("gpt-4", "Red, yellow and blue.", 9, ["5", "5", "5", "5"]),
    ufCompletion("alpaca-7b", "Red, green.", 4, ["2", "3", "2", "3"]),
    ufCompletion("falcon-40b-instruct", "Red, yellow, blue (in paint).", 9, ["5", "4", "5", "N/A"]),
    ufCompletion("llama-2-7b-chat", "Purple.", 1, ["1", "1", "1", "1"]),
  ],
  correct_answers: ["none"],
  incorrect_answers: ["none"],
};

describe("UltraFeedback", () => {
  it("a record is a 4-way ranking by overall_score with ties, aspect ratings as criteria and ratings", () => {
    const r = ultrafeedbackRecord(ultrafeedback);
    expect(r.messages).toEqual([{ role: "user", content: "Name three primary colours." }]);
    expect(r.responses.map((x) => x.source)).toEqual(["gpt-4", "alpaca-7b", "falcon-40b-instruct", "llama-2-7b-chat"]);
    expect(r.ranking).toEqual([[0, 2], [1], [3]]);
    // truthfulness is N/A for one completion: no ranking for it, the others rank all four
    expect(r.criteria).toEqual({ helpfulness: [[0, 2], [1], [3]], honesty: [[0], [2], [1], [3]], instruction_following: [[0, 2], [1], [3]] });
    expect(r.responses[2]!.ratings).toEqual({ overall_score: 9, "fine-grained_score": 3.5, helpfulness: 5, honesty: 4, instruction_following: 5 });
  });

  it("reads annotations as the original JSON files list them (a list of one object)", () => {
    const listed = { ...ultrafeedback, completions: ultrafeedback.completions.map((c) => ({ ...c, annotations: Object.fromEntries(Object.entries(c.annotations).map(([k, v]) => [k, [v]])) })) };
    expect(ultrafeedbackRecord(listed).criteria).toEqual(ultrafeedbackRecord(ultrafeedback).criteria);
  });

  it("refuses a completion without an overall score, keeps a lone completion unranked", () => {
    const noScore = { ...ultrafeedback, completions: [ultrafeedback.completions[0], { ...ultrafeedback.completions[1], overall_score: null }] };
    expect(errorOf(() => ultrafeedbackRecord(noScore))).toMatch(/completions.1.overall_score/);
    const lone = ultrafeedbackRecord({ ...ultrafeedback, completions: [ultrafeedback.completions[0]] });
    expect(lone.responses).toHaveLength(1);
    expect(lone.ranking).toBeUndefined();
  });

  it("binarized: a pair from prompt/chosen/rejected message lists, tied on equal scores", () => {
    const q = { role: "user", content: "Name three primary colours." };
    const record = {
      prompt: q.content,
      prompt_id: "abc",
      chosen: [q, { role: "assistant", content: "Red, yellow and blue." }],
      rejected: [q, { role: "assistant", content: "Purple." }],
      messages: [q, { role: "assistant", content: "Red, yellow and blue." }],
      score_chosen: 9,
      score_rejected: 1,
    };
    const r = ultrafeedbackBinarizedRecord(record);
    expect(r.messages).toEqual([q]);
    expect(r.responses.map((x) => [x.text, x.ratings])).toEqual([
      ["Red, yellow and blue.", { score: 9 }],
      ["Purple.", { score: 1 }],
    ]);
    expect(r.ranking).toEqual([[0], [1]]);
    expect(ultrafeedbackBinarizedRecord({ ...record, score_rejected: 9 }).ranking).toEqual([[0, 1]]);
  });
});

const hs = (prompt: string, response: string, [helpfulness, correctness, coherence, complexity, verbosity]: number[]) => ({
  prompt,
  response,
  helpfulness,
  correctness,
  coherence,
  complexity,
  verbosity,
});

describe("HelpSteer2", () => {
  it("groups adjacent responses to one prompt into a comparison ranked by helpfulness, attributes as criteria", () => {
    const out = readAll(helpsteer2Reader(), [
      hs("What is 2+2?", "4.", [3, 4, 4, 0, 0]),
      hs("What is 2+2?", "It is 4, since 2+2=4.", [3, 4, 4, 1, 2]),
      hs("Name a fruit.", "Apple.", [4, 4, 4, 0, 1]),
      hs("Say hi.", "Hi!", [4, 4, 4, 0, 0]),
      hs("Say hi.", "Go away.", [0, 2, 4, 0, 0]),
    ]);
    expect(out.map((e) => e.line)).toEqual([1, 3, 4]);
    const [pair, single, other] = out.map((e) => ("record" in e ? e.record : undefined));
    expect(pair!.ranking).toEqual([[0, 1]]);
    expect(pair!.criteria).toEqual({ helpfulness: [[0, 1]], correctness: [[0, 1]], coherence: [[0, 1]], complexity: [[1], [0]], verbosity: [[1], [0]] });
    expect(pair!.responses[1]!.ratings).toEqual({ helpfulness: 3, correctness: 4, coherence: 4, complexity: 1, verbosity: 2 });
    expect(single!.responses).toHaveLength(1);
    expect(single!.ranking).toBeUndefined();
    expect(single!.responses[0]!.ratings).toMatchObject({ helpfulness: 4 });
    expect(other!.ranking).toEqual([[0], [1]]);
  });

  it("reads CSV's text numbers, reports a bad row by its line and keeps the rest of the group", () => {
    const out = readAll(helpsteer2Reader(), [
      { prompt: "Q", response: "A1", helpfulness: "2", correctness: "2", coherence: "3", complexity: "1", verbosity: "1" },
      { prompt: "Q", response: "A2", helpfulness: "seven" },
      { prompt: "Q", response: "A3", helpfulness: "4" },
    ]);
    expect(out[0]).toEqual({ line: 2, error: expect.stringMatching(/helpfulness/) });
    expect("record" in out[1]! && out[1].record.ranking).toEqual([[1], [0]]);
  });

  it("splits multi-turn prompts at <extra_id_1> markers", () => {
    expect(helpsteerPrompt("Hi\n<extra_id_1>Assistant\nHello!\n<extra_id_1>User\nTell me a joke")).toEqual([
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello!" },
      { role: "user", content: "Tell me a joke" },
    ]);
  });
});

// oasst1 flat rows (fields of the Hugging Face dataset; others left out)
const msg = (id: string, parent: string | null, role: "prompter" | "assistant", text: string, rank: number | null = null, extra = {}) => ({
  message_id: id,
  parent_id: parent,
  user_id: "u",
  created_date: "2023-02-05T14:23:50.983374+00:00",
  text,
  role,
  lang: "en",
  review_count: 3,
  review_result: true,
  deleted: false,
  rank,
  synthetic: false,
  model_name: null,
  detoxify: null,
  message_tree_id: parent === null ? id : "t1",
  tree_state: "ready_for_export",
  emojis: null,
  labels: null,
  ...extra,
});
const tree = [
  msg("t1", null, "prompter", "How do I boil an egg?"),
  msg("a1", "t1", "assistant", "Put it in boiling water for 8 minutes.", 0, { labels: { name: ["quality", "humor"], value: [0.8, 0.1], count: [3, 3] } }),
  msg("a2", "t1", "assistant", "Microwave it.", 2),
  msg("a3", "t1", "assistant", "Boil water, add the egg, wait 7–9 minutes, cool it.", 1),
  msg("p2", "a1", "prompter", "And a soft one?"),
  msg("b1", "p2", "assistant", "About 6 minutes.", 0),
  msg("b2", "p2", "assistant", "Same as hard.", 1),
  msg("b3", "p2", "assistant", "Unranked reply."),
];

describe("oasst1", () => {
  it("ranked sibling replies become k-wise rankings with the conversation path as the prompt", () => {
    const out = readAll(oasst1Reader(), tree);
    expect(out.every((e) => "record" in e)).toBe(true);
    const [first, second] = out.map((e) => ("record" in e ? e.record : undefined));
    expect(first!.messages).toEqual([{ role: "user", content: "How do I boil an egg?" }]);
    expect(first!.responses.map((x) => x.text)).toEqual(["Put it in boiling water for 8 minutes.", "Boil water, add the egg, wait 7–9 minutes, cool it.", "Microwave it."]);
    expect(first!.ranking).toEqual([[0], [1], [2]]);
    expect(first!.responses[0]!).toMatchObject({ source: "human", ratings: { quality: 0.8, humor: 0.1 } });
    expect(second!.messages).toEqual([
      { role: "user", content: "How do I boil an egg?" },
      { role: "assistant", content: "Put it in boiling water for 8 minutes." },
      { role: "user", content: "And a soft one?" },
    ]);
    expect(second!.responses.map((x) => x.text)).toEqual(["About 6 minutes.", "Same as hard."]);
  });

  it("reads nested trees the same", () => {
    const nest = (id: string): object => {
      const { parent_id: _, ...m } = tree.find((x) => x.message_id === id)!;
      return { ...m, replies: tree.filter((x) => x.parent_id === id).map((x) => nest(x.message_id)) };
    };
    const flat = readAll(oasst1Reader(), tree).map((e) => ("record" in e ? e.record : e));
    const nested = readAll(oasst1Reader(), [{ message_tree_id: "t1", tree_state: "ready_for_export", prompt: nest("t1") }]).map((e) => ("record" in e ? e.record : e));
    expect(nested).toEqual(flat);
  });

  it("refuses the rows of a tree met again after another tree", () => {
    const other = msg("t2", null, "prompter", "Another question");
    const out = readAll(oasst1Reader(), [...tree.slice(0, 2), other, ...tree.slice(2)]);
    expect(out.filter((e) => "error" in e).map((e) => e.line)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(out.find((e) => "error" in e)).toMatchObject({ error: expect.stringMatching(/already read: the rows of one tree must be adjacent/) });
  });
});

const battle = (winner: string, extra = {}) => ({
  question_id: "q1",
  model_a: "vicuna-13b",
  model_b: "alpaca-13b",
  winner,
  judge: "arena_user_1",
  conversation_a: [
    { role: "user", content: "Write a haiku about rain." },
    { role: "assistant", content: "Soft rain on the roof" },
  ],
  conversation_b: [
    { role: "user", content: "Write a haiku about rain." },
    { role: "assistant", content: "Rain rain go away" },
  ],
  turn: 1,
  anony: true,
  language: "English",
  tstamp: 1682351591.1322,
  ...extra,
});

describe("Chatbot Arena", () => {
  it("a battle is a pair with the models as sources and the vote as the ranking", () => {
    expect(chatbotArenaRecord(battle("model_a"))).toMatchObject({
      messages: [{ role: "user", content: "Write a haiku about rain." }],
      responses: [
        { text: "Soft rain on the roof", source: "vicuna-13b" },
        { text: "Rain rain go away", source: "alpaca-13b" },
      ],
      ranking: [[0], [1]],
    });
    expect(chatbotArenaRecord(battle("model_b")).ranking).toEqual([[1], [0]]);
    expect(chatbotArenaRecord(battle("tie"))).toMatchObject({ ranking: [[0, 1]] });
    expect(chatbotArenaRecord(battle("tie")).bothBad).toBeUndefined();
    expect(chatbotArenaRecord(battle("tie (bothbad)"))).toMatchObject({ ranking: [[0, 1]], bothBad: true });
    expect(errorOf(() => chatbotArenaRecord(battle("draw")))).toMatch(/winner/);
  });

  it("a multi-turn battle keeps every turn: the first user turn is the prompt, the rest each side's response", () => {
    const r = chatbotArenaRecord(
      battle("model_b", {
        turn: 2,
        conversation_a: [
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Hello from A" },
          { role: "user", content: "Tell me a joke" },
          { role: "assistant", content: "A's joke" },
        ],
        conversation_b: [
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Hello from B" },
          { role: "user", content: "Tell me a joke" },
          { role: "assistant", content: "B's joke" },
        ],
      }),
    );
    expect(r.messages).toEqual([{ role: "user", content: "Hi" }]);
    expect(r.responses.map((x) => x.text)).toEqual(["Hello from A\n\nHuman: Tell me a joke\n\nAssistant: A's joke", "Hello from B\n\nHuman: Tell me a joke\n\nAssistant: B's joke"]);
  });
});

describe("detection from the first record", () => {
  it("names each dataset by its fields", () => {
    expect(detectDataset(ultrafeedback)).toBe("ultrafeedback");
    expect(detectDataset({ prompt: "p", prompt_id: "x", chosen: [], rejected: [], messages: [], score_chosen: 1, score_rejected: 0 })).toBe("ultrafeedback-binarized");
    expect(detectDataset(battle("tie"))).toBe("chatbot-arena");
    expect(detectDataset(tree[0])).toBe("oasst1");
    expect(detectDataset({ message_tree_id: "t", prompt: { message_id: "t" } })).toBe("oasst1");
    expect(detectDataset(hs("p", "r", [1, 1, 1, 1, 1]))).toBe("helpsteer2");
    expect(detectDataset({ prompt: "p", completion: "c", label: true })).toBe("trl-unpaired");
    expect(detectDataset({ chosen: "\n\nHuman: a\n\nAssistant: b", rejected: "\n\nHuman: a\n\nAssistant: c" })).toBe("hh-rlhf");
    expect(detectDataset({ prompt: "p", chosen: "a", rejected: "b" })).toBe("trl");
    expect(detectDataset({ chosen: [{ role: "user", content: "q" }], rejected: [{ role: "user", content: "q" }] })).toBe("trl");
    expect(detectDataset({ prompt: "p", responses: [] })).toBe("arbiter");
    expect(detectDataset({ prompt: "p", chosen: "a", rejected: "b", chosen_source: "m" })).toBe("arbiter");
  });

  it("refuses unpaired records, and nested datasets from CSV", () => {
    expect(() => datasetReader("trl-unpaired", "ndjson")).toThrow(/unpaired preference records/);
    expect(() => datasetReader("chatbot-arena", "csv")).toThrow(/not CSV/);
  });
});
