import { describe, expect, it } from "vitest";
import { fleissKappa } from "@/lib/quality/fleiss";
import { krippendorffAlpha } from "@/lib/quality/krippendorff";

describe("Krippendorff's alpha", () => {
  // Krippendorff (2011), the worked example: 4 coders, 12 units, values 1–5, missing data.
  const A = [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null];
  const B = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3];
  const C = [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null];
  const D = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null];
  const units = A.map((_, u) => [A[u], B[u], C[u], D[u]].filter((v): v is number => v !== null));

  it("matches the published nominal and interval values of the worked example", () => {
    expect(krippendorffAlpha(units, "nominal")).toBeCloseTo(0.743, 3);
    expect(krippendorffAlpha(units, "interval")).toBeCloseTo(0.849, 3);
  });

  it("is 1 for perfect agreement and ignores units with a single value", () => {
    expect(krippendorffAlpha([[1, 1], [2, 2, 2], [3, 3], [5]], "ordinal")).toBe(1);
  });

  it("ranks an ordinal near-miss as better agreement than a far miss", () => {
    const near = krippendorffAlpha([[1, 2], [3, 3], [5, 5], [1, 1]], "ordinal");
    const far = krippendorffAlpha([[1, 5], [3, 3], [5, 5], [1, 1]], "ordinal");
    expect(near).toBeGreaterThan(far);
  });
});

describe("Fleiss' kappa", () => {
  it("matches the textbook example (Fleiss 1971 data as on Wikipedia): κ ≈ 0.210", () => {
    const counts = [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0],
      [3, 2, 6, 3, 0],
      [2, 5, 3, 2, 2],
      [6, 5, 2, 1, 0],
      [0, 2, 2, 3, 7],
    ];
    expect(fleissKappa(counts)).toBeCloseTo(0.21, 2);
  });

  it("is 1 when every rater agrees on every subject, and undefined with unequal raters", () => {
    expect(fleissKappa([[3, 0], [0, 3], [3, 0]])).toBe(1);
    expect(fleissKappa([[3, 0], [1, 1]])).toBeNaN();
  });
});
