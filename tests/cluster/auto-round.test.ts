// Round auto-triggering with two trainers checking every ARBITER_AUTO_ROUND_INTERVAL_MS
// (250 ms here): a project past its threshold gets exactly one round, whichever trainer
// starts it (lib/rounds/auto-trigger.ts: a per-project advisory lock, a second look under
// it), and none after it while no new judgments come.
import { describe, expect, it } from "vitest";
import { getPool } from "@/lib/db/client";
import { cluster, consoles, people, preferences, project, sleep, TINY } from "./fixtures";

const THRESHOLD = 10;
const PROJECTS = 3;

type RoundRow = { project_id: string; number: number; status: string; trigger: string; requested_by: string | null };

async function roundsOf(projectIds: string[]): Promise<RoundRow[]> {
  const { rows } = await getPool().query<RoundRow>("select project_id, number, status, trigger, requested_by from rounds where project_id = any($1::uuid[]) order by project_id, number", [projectIds]);
  return rows;
}

describe("auto-triggered rounds with two trainers", () => {
  it("a project past its threshold gets exactly one round while both trainers check it", async () => {
    const { webUrls, autoRoundIntervalMs } = cluster();
    const [admin] = await people(1, "admin", "auto-admin");
    const settings = { phases: ["reward_model"], scratchModel: TINY, rewardModel: { epochs: 1, batchSize: 8, maxTokens: 96 } };
    // each import writes THRESHOLD + 2 judgments in one transaction: past the threshold at once, for both trainers' next check
    const projectIds = await Promise.all(
      Array.from({ length: PROJECTS }, (_, i) =>
        project(webUrls[i % 2]!, admin!, { name: `cluster auto ${i + 1}`, mode: "pairwise", roundThreshold: THRESHOLD, roundSettings: settings }, preferences(THRESHOLD + 2, `auto ${i + 1} task`)),
      ),
    );

    // every project gets its round, and every round ends
    const deadline = Date.now() + 100_000;
    for (;;) {
      const rows = await roundsOf(projectIds);
      if (rows.length >= PROJECTS && rows.every((r) => r.status !== "queued" && r.status !== "running")) break;
      if (Date.now() > deadline) throw new Error(`rounds: ${JSON.stringify(rows)}\n${consoles()}`);
      await sleep(250);
    }
    // many more checks by both trainers with nothing new to count
    await sleep(12 * autoRoundIntervalMs);

    const rows = await roundsOf(projectIds);
    expect(rows.map((r) => [r.project_id, r.number, r.trigger, r.requested_by, r.status]), consoles()).toEqual(
      [...projectIds].sort().map((id) => [id, 1, "threshold", null, "succeeded"]),
    );
  });
});
