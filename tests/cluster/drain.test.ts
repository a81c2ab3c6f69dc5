// 100 simulated annotators (lib/sim, as `arbiter sim` runs them), half on each web
// process, judge a project until nothing is left: every comparison ends with exactly the
// judgments it asked for, every acknowledged judgment is in the database once, and no
// lease is left behind (the fault bench's checks, bench/faults/checks.ts).
import pg from "pg";
import { describe, expect, it } from "vitest";
import { runSimulation } from "@/lib/sim/simulated-annotators";
import { acknowledgements, verdict } from "@/bench/faults/checks";
import { addMembers, cluster, consoles, people, project } from "./fixtures";

const ANNOTATORS = 100;
const COMPARISONS = 200;
const REDUNDANCY = 3;

describe("annotation across web processes", () => {
  it(`${ANNOTATORS} simulated annotators split over both web processes drain a project: none over-filled, none lost, none twice`, async () => {
    const { webUrls, databaseUrl } = cluster();
    const [admin] = await people(1, "admin", "drain-admin");
    const annotators = await people(ANNOTATORS, "annotator", "drain");
    const projectId = await project(
      webUrls[0],
      admin!,
      { name: "cluster drain", mode: "pairwise", redundancy: REDUNDANCY },
      Array.from({ length: COMPARISONS }, (_, i) => ({ prompt: `Question ${i}: which answer is better?`, responses: [{ text: `Short answer ${i}.`, source: "a" }, { text: `A longer, rather different answer to question ${i}.`, source: "b" }] })),
    );
    await addMembers(webUrls[1], admin!, projectId, annotators);

    const { acked, onStep: acknowledge, conflicting } = acknowledgements();
    const perWeb = [0, 0];
    const onStep = (web: number) => (s: { clientId: string; judgmentId: string }) => {
      perWeb[web]!++;
      acknowledge(s);
    };
    const half = ANNOTATORS / 2;
    const started = Date.now();
    const runs = await Promise.all(
      webUrls.map((url, web) =>
        runSimulation({ url, projectId, tokens: annotators.slice(web * half, (web + 1) * half).map((a) => a.token), oracle: "length", noise: 0.1, seed: web + 1, onStep: onStep(web), patienceMs: 30_000 }),
      ),
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(`[cluster] ${acked.size} judgments in ${seconds.toFixed(1)} s (${perWeb[0]} through web 1, ${perWeb[1]} through web 2)`);

    expect(runs.map((r) => r.errors), consoles()).toEqual([0, 0]);
    // both processes took their share (each half of the annotators is on one of them)
    expect(perWeb[0]).toBeGreaterThan(0);
    expect(perWeb[1]).toBeGreaterThan(0);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const v = await verdict(db, projectId, acked, conflicting());
      expect(v).toMatchObject({ lost: 0, duplicated: 0, overRedundancy: 0, counterMismatch: 0, danglingLeases: 0, writtenNotAcknowledged: 0 });
      expect(v.inDatabase).toBe(v.acknowledged);
      // drained: every comparison has all its judgments, and they are all the acknowledged ones
      const { rows } = await db.query<{ open: number; judged: number }>(
        "select count(*) filter (where judgment_count < required)::int as open, coalesce(sum(judgment_count), 0)::int as judged from comparisons where project_id = $1",
        [projectId],
      );
      expect(rows[0]).toEqual({ open: 0, judged: COMPARISONS * REDUNDANCY });
      expect(v.acknowledged).toBe(COMPARISONS * REDUNDANCY);
    } finally {
      await db.end();
    }
  });
});
