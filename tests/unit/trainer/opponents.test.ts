import { describe, expect, it } from "vitest";
import { opponentRank } from "@/trainer/rounds/generate-phase";

describe("the generate phase's opponents", () => {
  it("puts the newest earlier policy first, then the other sources by name", () => {
    const sources = ["alpha", "policy@round-1", "beta", "policy@round-3", "policy@round-2"];
    const sorted = [...sources].sort((x, y) => opponentRank(x) - opponentRank(y) || (x < y ? -1 : 1));
    expect(sorted).toEqual(["policy@round-3", "policy@round-2", "policy@round-1", "alpha", "beta"]);
  });
});
