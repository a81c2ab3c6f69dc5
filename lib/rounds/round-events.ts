// What GET /api/v1/rounds/:id/events streams: the round as it stands, then every change as
// the trainer reports it. The trainer NOTIFYs channel "arbiter_round" after each metrics
// write and phase change (trainer/rounds/round-log.ts); this LISTENs on a connection of
// its own, reads what is new since the last event (metric rows by id), and ends once the
// round has finished. A timer also re-reads every few seconds, so a missed notification
// (or a trainer on another database connection pooler) only delays an event.
import pg from "pg";
import { and, asc, eq, gt } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { roundMetrics, rounds } from "@/lib/db/schema";
import { ROUND_CHANNEL } from "./queue";

const POLL_MS = 5000;

export type RoundEvent =
  | { type: "status"; status: string; phase: string | null; error: string | null }
  | { type: "metrics"; metrics: { id: number; phase: string; step: number; name: string; value: number }[] };

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

export async function* roundEvents(roundId: string, signal: AbortSignal): AsyncGenerator<RoundEvent> {
  const db = getDb();
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  let wake: (() => void) | null = null;
  const nudge = () => {
    wake?.();
    wake = null;
  };
  client.on("notification", (msg) => {
    if (msg.payload && JSON.parse(msg.payload).roundId === roundId) nudge();
  });
  // A lost connection must not take the web process down; the polling timer carries on.
  client.on("error", (err) => console.error(`[round events] ${err.message}`));
  signal.addEventListener("abort", nudge);
  await client.connect();
  try {
    await client.query(`listen ${ROUND_CHANNEL}`);
    let lastMetric = 0;
    let lastStatus = "";
    while (!signal.aborted) {
      const [round] = await db.select({ status: rounds.status, phase: rounds.phase, error: rounds.error }).from(rounds).where(eq(rounds.id, roundId));
      if (!round) return;
      const fresh = await db
        .select({ id: roundMetrics.id, phase: roundMetrics.phase, step: roundMetrics.step, name: roundMetrics.name, value: roundMetrics.value })
        .from(roundMetrics)
        .where(and(eq(roundMetrics.roundId, roundId), gt(roundMetrics.id, lastMetric)))
        .orderBy(asc(roundMetrics.id));
      if (fresh.length) {
        lastMetric = fresh.at(-1)!.id;
        yield { type: "metrics", metrics: fresh };
      }
      const status = `${round.status}/${round.phase}/${round.error}`;
      if (status !== lastStatus) {
        lastStatus = status;
        yield { type: "status", status: round.status, phase: round.phase, error: round.error };
      }
      if (TERMINAL.has(round.status)) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(nudge, POLL_MS);
      });
      clearTimeout(timer);
    }
  } finally {
    signal.removeEventListener("abort", nudge);
    await client.end().catch(() => {});
  }
}
