// Preference records as records.ts reads them: Anthropic HH-RLHF transcripts (including
// those whose chosen and rejected part before the last turn) and every TRL preference
// shape (standard or conversational, explicit or implicit prompt), plus TRL's unpaired
// records, which are refused with the reason.
import { describe, expect, it } from "vitest";
import { describeError, normalizeRecord } from "@/lib/import/records";

const errorOf = (value: unknown) => {
  try {
    normalizeRecord(value);
  } catch (err) {
    return describeError(err);
  }
  throw new Error("expected the record to be refused");
};
const texts = (value: unknown) => {
  const r = normalizeRecord(value);
  return { messages: r.messages, responses: r.responses.map((x) => x.text), ranking: r.ranking };
};

describe("HH-RLHF transcripts", () => {
  it("split at the last turn when the two share everything before it", () => {
    expect(texts({ chosen: "\n\nHuman: Hi\n\nAssistant: Hello!", rejected: "\n\nHuman: Hi\n\nAssistant: Go away." })).toEqual({
      messages: [{ role: "user", content: "Hi" }],
      responses: ["Hello!", "Go away."],
      ranking: [[0], [1]],
    });
  });

  it("keep every turn when chosen and rejected part before the last assistant turn", () => {
    // As in harmless-base: the conversations took different turns earlier on.
    const chosen =
      "\n\nHuman: What household chemicals are dangerous to mix?\n\nAssistant: Bleach and ammonia make toxic chloramine gas.\n\nHuman: Which one is worse?\n\nAssistant: Both are dangerous; never mix them and keep rooms aired.";
    const rejected =
      "\n\nHuman: What household chemicals are dangerous to mix?\n\nAssistant: Why do you want to know?\n\nHuman: Just curious.\n\nAssistant: Bleach and vinegar make chlorine gas.";
    expect(texts({ chosen, rejected })).toEqual({
      messages: [{ role: "user", content: "What household chemicals are dangerous to mix?" }],
      responses: [
        "Bleach and ammonia make toxic chloramine gas.\n\nHuman: Which one is worse?\n\nAssistant: Both are dangerous; never mix them and keep rooms aired.",
        "Why do you want to know?\n\nHuman: Just curious.\n\nAssistant: Bleach and vinegar make chlorine gas.",
      ],
      ranking: [[0], [1]],
    });
  });

  it("keep shared later turns in the prompt, up to the last shared Human turn", () => {
    const shared = "\n\nHuman: A\n\nAssistant: B\n\nHuman: C";
    expect(texts({ chosen: `${shared}\n\nAssistant: D1\n\nHuman: E\n\nAssistant: F`, rejected: `${shared}\n\nAssistant: D2` })).toEqual({
      messages: [
        { role: "user", content: "A" },
        { role: "assistant", content: "B" },
        { role: "user", content: "C" },
      ],
      responses: ["D1\n\nHuman: E\n\nAssistant: F", "D2"],
      ranking: [[0], [1]],
    });
    // a different number of turns, the shorter one a prefix of the longer one
    expect(texts({ chosen: `${shared}\n\nAssistant: D`, rejected: `${shared}\n\nAssistant: D\n\nHuman: more?\n\nAssistant: no` }).responses).toEqual([
      "D",
      "D\n\nHuman: more?\n\nAssistant: no",
    ]);
  });

  it("refuse transcripts with no shared opening turn, or the same text twice", () => {
    expect(errorOf({ chosen: "\n\nHuman: A\n\nAssistant: B", rejected: "\n\nHuman: X\n\nAssistant: Y" })).toMatch(/share no opening Human turn/);
    expect(errorOf({ chosen: "\n\nHuman: A\n\nAssistant: B", rejected: "\n\nHuman: A\n\nAssistant: B" })).toMatch(/same text/);
  });
});

describe("TRL preference records", () => {
  it("standard, explicit prompt: strings as they are", () => {
    expect(texts({ prompt: "The sky is", chosen: " blue.", rejected: " green." })).toEqual({
      messages: [{ role: "user", content: "The sky is" }],
      responses: [" blue.", " green."],
      ranking: [[0], [1]],
    });
  });

  it("standard, implicit prompt: the common prefix, as TRL's extract_prompt takes it", () => {
    expect(texts({ chosen: "The sky is blue.", rejected: "The sky is green." })).toEqual({
      messages: [{ role: "user", content: "The sky is" }],
      responses: [" blue.", " green."],
      ranking: [[0], [1]],
    });
    expect(errorOf({ chosen: "Blue.", rejected: "Green." })).toMatch(/implicit prompt/);
  });

  it("conversational, explicit prompt", () => {
    expect(
      texts({
        prompt: [{ role: "user", content: "What color is the sky?" }],
        chosen: [{ role: "assistant", content: "It is blue." }],
        rejected: [{ role: "assistant", content: "It is green." }],
      }),
    ).toEqual({ messages: [{ role: "user", content: "What color is the sky?" }], responses: ["It is blue.", "It is green."], ranking: [[0], [1]] });
  });

  it("conversational, implicit prompt", () => {
    const q = { role: "user", content: "What color is the sky?" };
    expect(texts({ chosen: [q, { role: "assistant", content: "It is blue." }], rejected: [q, { role: "assistant", content: "It is green." }] })).toEqual({
      messages: [q],
      responses: ["It is blue.", "It is green."],
      ranking: [[0], [1]],
    });
  });

  it("a string prompt repeated inside conversational sides is not repeated in the prompt", () => {
    const q = { role: "user", content: "Hi" };
    expect(texts({ prompt: "Hi", chosen: [q, { role: "assistant", content: "Hello" }], rejected: [q, { role: "assistant", content: "Bye" }] }).messages).toEqual([q]);
  });

  it("unpaired records (prompt, completion, label) are refused with the reason", () => {
    expect(errorOf({ prompt: "The sky is", completion: " blue.", label: true })).toMatch(/unpaired preference records .* are not imported: a label judges one completion alone/);
  });
});
