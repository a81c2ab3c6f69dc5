import { describe, expect, it } from "vitest";
import { exportQuerySchema } from "@/lib/export/export-query";

describe("export query", () => {
  it("guards CSV cells against formulas unless csvFormulaGuard is 0 or false", () => {
    const parse = (extra: Record<string, string>) => exportQuerySchema.parse({ format: "pairwise", as: "csv", ...extra }).csvFormulaGuard;
    expect(parse({})).toBe(true);
    expect(parse({ csvFormulaGuard: "1" })).toBe(true);
    expect(parse({ csvFormulaGuard: "false" })).toBe(false);
    expect(parse({ csvFormulaGuard: "0" })).toBe(false);
    expect(() => parse({ csvFormulaGuard: "no" })).toThrow();
  });
});
