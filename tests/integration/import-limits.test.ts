// Import lines are capped (IMPORT_LINE_MAX_BYTES): a longer line is an error on its line,
// read past without being held, and nothing is written.
import { describe, expect, it } from "vitest";
import { importStream } from "@/lib/import/import-stream";
import { readLines } from "@/lib/import/read-lines";
import { aProject, bodyOf } from "./fixtures";

const record = (prompt: string) => JSON.stringify({ prompt, responses: [{ text: "one answer" }, { text: "another answer" }] });

describe("import line cap", () => {
  it("reports an NDJSON line over the cap by its number and writes nothing", async () => {
    const project = await aProject();
    const text = [record("short one"), record("x".repeat(5000)), record("short two")].join("\n");
    const result = await importStream(project, bodyOf(text), { format: "ndjson", maxBytes: 1 << 20, maxLineBytes: 2048 });
    expect(result.committed).toBe(false);
    expect(result.errors).toEqual([{ line: 2, message: expect.stringMatching(/line longer than 2048 bytes/) }]);
  });

  it("reports a CSV row over the cap", async () => {
    const project = await aProject();
    const text = `prompt,chosen,rejected\nhello,a,b\n${"y".repeat(5000)},a,b\n`;
    const result = await importStream(project, bodyOf(text), { format: "csv", maxBytes: 1 << 20, maxLineBytes: 2048 });
    expect(result.committed).toBe(false);
    expect(result.errors[0]?.message).toMatch(/invalid CSV/);
  });

  it("keeps at most the cap of a long line in memory and goes on after it", async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x78); // "x"
    async function* body() {
      yield new TextEncoder().encode("first\n");
      for (let i = 0; i < 256; i++) yield chunk; // a 16 MiB line
      yield new TextEncoder().encode("\nlast\r\nünïcødé");
    }
    const lines = [];
    for await (const l of readLines(body(), { maxBytes: Infinity, maxLineBytes: 1 << 20 })) lines.push(l);
    expect(lines).toEqual([
      { line: 1, text: "first", tooLong: false },
      { line: 2, text: "", tooLong: true },
      { line: 3, text: "last", tooLong: false },
      { line: 4, text: "ünïcødé", tooLong: false },
    ]);
  });
});
