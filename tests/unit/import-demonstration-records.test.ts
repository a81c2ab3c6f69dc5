// The demonstration record kind (docs/API.md, "Import records") as records.ts reads it.
import { describe, expect, it } from "vitest";
import { csvRowToRecord, describeError, normalizeRecord } from "@/lib/import/records";

const errorOf = (value: unknown) => {
  try {
    normalizeRecord(value);
  } catch (err) {
    return describeError(err);
  }
  throw new Error("expected the record to be refused");
};

describe("demonstration records", () => {
  it("become a prompt with a demonstration and no responses", () => {
    expect(normalizeRecord({ prompt: "Hi", completion: "Hello!", source: "writer" })).toEqual({
      messages: [{ role: "user", content: "Hi" }],
      responses: [],
      demonstration: { text: "Hello!", source: "writer" },
      gold: false,
    });
    expect(normalizeRecord({ prompt: [{ role: "user", content: "Hi" }], completion: "Hello!" }).demonstration).toEqual({ text: "Hello!", source: "unknown" });
  });

  it("refuse an empty completion, a missing prompt and fields of other kinds", () => {
    expect(errorOf({ prompt: "Hi", completion: "" })).toMatch(/completion: must not be empty/);
    expect(errorOf({ completion: "Hello!" })).toMatch(/prompt/);
    expect(errorOf({ prompt: "Hi", completion: "Hello!", gold: true })).toMatch(/gold/);
    expect(errorOf({ prompt: "Hi", completion: "Hello!", chosen: "a", rejected: "b" })).toMatch(/completion/);
  });

  it("come from CSV rows with a completion column; an empty cell is refused, not read as a bare prompt", () => {
    expect(csvRowToRecord({ prompt: "Hi", completion: "Hello!", source: "writer" })).toEqual({ prompt: "Hi", completion: "Hello!", source: "writer" });
    expect(csvRowToRecord({ prompt: "Hi", completion: "Hello!", source: "" })).toEqual({ prompt: "Hi", completion: "Hello!" });
    expect(errorOf(csvRowToRecord({ prompt: "Hi", completion: "" }))).toMatch(/completion: must not be empty/);
    // a row of another kind with a completion is refused rather than losing the completion
    expect(errorOf(csvRowToRecord({ prompt: "Hi", chosen: "a", rejected: "b", completion: "c" }))).toMatch(/completion/);
    expect(csvRowToRecord({ prompt: "Hi", chosen: "a", rejected: "b", completion: "" })).toEqual({ prompt: "Hi", chosen: "a", rejected: "b" });
  });
});
