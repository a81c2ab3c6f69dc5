import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { loadSourcePatterns, patternsOf, type SourcePattern } from "@/lib/leaderboard/source-patterns";
import { sourceLeaderboard } from "@/lib/leaderboard/source-ratings";
import { cachedLeaderboard } from "@/lib/quality/statistics-cache";
import { setExcluded } from "@/lib/projects/projects";
import { loadJudgments } from "@/lib/quality/judgment-data";
import { computeAgreement } from "@/lib/quality/project-agreement";
import { submitJudgment } from "@/lib/judgments/submit-judgment";
import { nextTask } from "@/lib/tasks/next-task";
import { annotators, aProject, importText, ndjson } from "./fixtures";

/** 30 prompts, each answered by a strong, a middling and a weak model. */
function threeModels() {
  return Array.from({ length: 30 }, (_, i) => ({
    prompt: `Question number ${i}`,
    responses: [
      { text: `A careful, correct and complete answer to question ${i}`, source: "strong" },
      { text: `Something partly right about item ${i}, with gaps`, source: "middling" },
      { text: `No idea ${i}`, source: "weak" },
    ],
  }));
}

describe("leaderboard and agreement", () => {
  it("rates sources in the order annotators prefer them, flags the contrarian, and forgets excluded judgments", async () => {
    const project = await aProject({ mode: "pairwise", redundancy: 4 });
    await importText(project, ndjson(threeModels()));
    const team = await annotators(project, 4);
    const contrarian = team[3]!;
    const strength = { strong: 2, middling: 1, weak: 0 } as Record<string, number>;
    const { rows: sourceRows } = await import("@/lib/db/client").then(async ({ getDb }) =>
      getDb().execute<{ id: string; source: string }>((await import("drizzle-orm")).sql`select r.id::text, r.source from responses r join prompts p on p.id = r.prompt_id where p.project_id = ${project.id}`),
    );
    const sourceOf = new Map(sourceRows.map((r) => [r.id, r.source]));
    for (const me of team) {
      for (;;) {
        const task = await nextTask(project, me);
        if (!task) break;
        const [x, y] = task.responses.map((r) => r.id) as [string, string];
        let better = strength[sourceOf.get(x)!]! > strength[sourceOf.get(y)!]! ? x : y;
        if (me.id === contrarian.id) better = better === x ? y : x; // always the other one
        const worse = better === x ? y : x;
        await submitJudgment(task.comparisonId, me, { clientId: randomUUID(), ranking: [[better], [worse]], strength: 2 });
      }
    }

    // The database's aggregated patterns are those of the loaded judgments.
    const sortPatterns = (ps: SourcePattern[]) => ps.map((p) => JSON.stringify(p)).sort();
    const patterns = await loadSourcePatterns(project.id);
    expect(sortPatterns(patterns)).toEqual(sortPatterns(patternsOf(await loadJudgments(project.id))));
    expect(patterns.reduce((n, p) => n + p.count, 0)).toBe(4 * 90);
    expect(patterns.length).toBeLessThanOrEqual(6); // three pairs of sources, two orders each

    const board = sourceLeaderboard(await loadJudgments(project.id), { resamples: 50 });
    expect(board.model).toBe("pairwise");
    expect(board.rows.map((r) => r.source)).toEqual(["strong", "middling", "weak"]);
    for (const r of board.rows) expect(r.ciLow).toBeLessThanOrEqual(r.rating), expect(r.ciHigh).toBeGreaterThanOrEqual(r.rating);
    expect(board.rows[0]!.n).toBe(4 * 2 * 30);
    expect(board.winRate[0]![2]).toBeCloseTo(0.75, 5); // three of four annotators prefer strong over weak
    // Length control: here length and quality go together, so β takes part of the credit.
    const controlled = sourceLeaderboard(await loadJudgments(project.id), { resamples: 20, control: "length" });
    expect(controlled.control).toBe("length");
    expect(controlled.lengthCoefficient).toBeGreaterThan(0);
    for (const r of controlled.rows) expect(Number.isFinite(r.rating) && r.ciLow <= r.ciHigh).toBe(true);

    const agreement = computeAgreement(await loadJudgments(project.id));
    const flagged = agreement.annotators.filter((a) => a.flagged).map((a) => a.annotatorId);
    expect(flagged).toEqual([contrarian.id]);
    // The bar is the project's: lowered to zero, nobody is flagged.
    const lenient = computeAgreement(await loadJudgments(project.id), { minMajorityAgreement: 0, minGoldAccuracy: 0, minEvidence: 10 });
    expect(lenient.annotators.some((a) => a.flagged)).toBe(false);
    expect(agreement.pairwiseAgreement).toBeCloseTo(0.5, 5); // 3 of 6 annotator pairs agree on every comparison
    expect(agreement.fleissSubjects).toBe(90);

    // Excluding the contrarian: the data is kept, but statistics no longer see it.
    expect(await setExcluded(project.id, contrarian.id, true)).toBe(true);
    const cleaned = computeAgreement(await loadJudgments(project.id));
    expect(cleaned.pairwiseAgreement).toBe(1);
    expect(cleaned.krippendorffAlpha).toBeCloseTo(1, 6);
    expect(sourceLeaderboard(await loadJudgments(project.id), { resamples: 20 }).winRate[0]![2]).toBe(1);
    expect((await loadSourcePatterns(project.id)).reduce((n, p) => n + p.count, 0)).toBe(3 * 90);
    expect((await loadJudgments(project.id, { includeExcluded: true })).length).toBe(4 * 90);
    await setExcluded(project.id, contrarian.id, false);
    expect((await loadJudgments(project.id)).length).toBe(4 * 90);
  });

  it("rates k-wise rankings with tie groups by Davidson–Luce, with the pairwise expansion on request", async () => {
    const project = await aProject({ mode: "kwise", k: 3, redundancy: 3, allowTies: true });
    await importText(project, ndjson(threeModels()));
    const team = await annotators(project, 3);
    const { rows: sourceRows } = await import("@/lib/db/client").then(async ({ getDb }) =>
      getDb().execute<{ id: string; source: string }>((await import("drizzle-orm")).sql`select r.id::text, r.source from responses r join prompts p on p.id = r.prompt_id where p.project_id = ${project.id}`),
    );
    const sourceOf = new Map(sourceRows.map((r) => [r.id, r.source]));
    let n = 0;
    for (const me of team) {
      for (;;) {
        const task = await nextTask(project, me);
        if (!task) break;
        const id = (source: string) => task.responses.find((r) => sourceOf.get(r.id) === source)!.id;
        // mostly strong > middling > weak; every third judgment ties the bottom two, every fifth puts middling first
        const ranking =
          n % 5 === 4 ? [[id("middling")], [id("strong")], [id("weak")]] : n % 3 === 2 ? [[id("strong")], [id("middling"), id("weak")]] : [[id("strong")], [id("middling")], [id("weak")]];
        n++;
        await submitJudgment(task.comparisonId, me, { clientId: randomUUID(), ranking });
      }
    }
    const luce = await cachedLeaderboard(project.id);
    expect(luce.model).toBe("luce");
    expect(luce.judgments).toBe(90);
    expect(luce.leftOut).toBe(0);
    expect(luce.rows.map((r) => r.source)).toEqual(["strong", "middling", "weak"]);
    expect(luce.tieParameters).toHaveLength(2);
    expect(luce.tieParameters[1]).toBeGreaterThan(0);
    for (const r of luce.rows) expect(r.ciLow <= r.rating && r.rating <= r.ciHigh).toBe(true);
    const pairwise = await cachedLeaderboard(project.id, "none", "pairwise");
    expect(pairwise.model).toBe("pairwise");
    expect(pairwise.rows.map((r) => r.source)).toEqual(["strong", "middling", "weak"]);
    expect(pairwise.outcomes).toBe(luce.outcomes);
    // the same data and seed give the same intervals
    const again = sourceLeaderboard(await loadJudgments(project.id));
    expect(again.rows).toEqual(luce.rows);
  });
});
