// Rounds shared between two trainers through the queue: two rounds in two projects, started
// through different web processes, run at the same time, one on each trainer, and both
// succeed; each round's live events reach a client of the web process that did not start it.
import { describe, expect, it } from "vitest";
import { getPool } from "@/lib/db/client";
import { api, cluster, consoles, expectJson, people, preferences, project, TINY } from "./fixtures";

type SseEvent = { type: string; data: Record<string, unknown> };

/** Reads a round's event stream until its final status (or the stream ends); every event in order. */
async function roundEvents(url: string, token: string, roundId: string, timeoutMs: number): Promise<SseEvent[]> {
  const res = await fetch(`${url}/api/v1/rounds/${roundId}/events`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(timeoutMs) });
  if (res.status !== 200 || !res.body) throw new Error(`events: ${res.status} ${await res.text()}`);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const type = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (!type || data === undefined) continue; // a keep-alive comment
      events.push({ type, data: JSON.parse(data) as Record<string, unknown> });
    }
  }
  return events;
}

type RoundRow = { id: string; status: string; worker_id: string | null; started_at: Date | null; finished_at: Date | null; error: string | null };

describe("rounds across trainers", () => {
  it("two rounds in two projects run at once, one on each trainer, and both succeed; each one's events reach the other web process", async () => {
    const { webUrls } = cluster();
    const [admin] = await people(1, "admin", "rounds-admin");
    // The reward-model phase of a tiny model, long enough that each round outlasts the
    // queue's polling interval (2 s): a trainer asks for its next job only once its round is
    // done, so the other trainer, idle, takes the second round. Seconds here; a faster
    // machine still spends more than 2 s (over 100,000 tokens, no early stop).
    const settings = { phases: ["reward_model"], scratchModel: TINY, rewardModel: { epochs: 8, patience: 100, batchSize: 8, maxTokens: 96 } };
    const projects = await Promise.all(
      webUrls.map((url, i) => project(url, admin!, { name: `cluster rounds ${i + 1}`, mode: "pairwise", roundSettings: settings }, preferences(100, `project ${i + 1} task`))),
    );

    // round i starts through web i, and is watched through the other one
    const rounds = await Promise.all(projects.map((p, i) => expectJson<{ id: string }>(api(webUrls[i]!, admin!.token, "POST", `/api/v1/projects/${p}/rounds`), 201, "start round")));
    const watched = await Promise.all(rounds.map((r, i) => roundEvents(webUrls[1 - i]!, admin!.token, r.id, 110_000)));

    const { rows } = await getPool().query<RoundRow>("select id, status, worker_id, started_at, finished_at, error from rounds where id = any($1::uuid[]) order by array_position($1::uuid[], id)", [rounds.map((r) => r.id)]);
    const [a, b] = rows as [RoundRow, RoundRow];
    expect([a, b].map((r) => [r.status, r.error]), consoles()).toEqual([["succeeded", null], ["succeeded", null]]);
    console.log(`[cluster] the rounds ran ${[a, b].map((r) => `${((r.finished_at!.getTime() - r.started_at!.getTime()) / 1000).toFixed(1)} s`).join(" and ")}`);
    // one on each trainer, both live ones of this cluster
    expect(a.worker_id).not.toBe(b.worker_id);
    const { rows: workers } = await getPool().query<{ id: string }>("select id from trainer_workers where stopped_at is null and id = any($1::text[])", [[a.worker_id, b.worker_id]]);
    expect(workers).toHaveLength(2);
    // at the same time: each started before the other finished
    expect(a.started_at!.getTime()).toBeLessThan(b.finished_at!.getTime());
    expect(b.started_at!.getTime()).toBeLessThan(a.finished_at!.getTime());

    for (const events of watched) {
      // opened while the round was queued or running, the stream then carried its end live
      const statuses = events.filter((e) => e.type === "status").map((e) => e.data.status);
      expect(statuses).toContain("running");
      expect(statuses.length).toBeGreaterThanOrEqual(2);
      expect(statuses.at(-1)).toBe("succeeded");
      const metrics = events.filter((e) => e.type === "metrics").flatMap((e) => e.data.metrics as { name: string }[]);
      expect(metrics.some((m) => m.name === "train/loss")).toBe(true);
    }
  });
});
