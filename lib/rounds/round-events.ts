// What GET /api/v1/rounds/:id/events streams: the round as it stands, then every change as
// the trainer reports it. The trainer NOTIFYs channel "arbiter_round" after each metrics
// write and phase change (trainer/rounds/round-log.ts); this LISTENs on a connection of
// its own, reads what is new since the last event (metric rows by id), and ends once the
// round has finished. A timer also re-reads every few seconds, so a missed notification
// (or a trainer on another database connection pooler) only delays an event.
// The LISTEN is the process's one shared connection (round-listener.ts), not one per stream.
import { and, asc, eq, gt } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { roundMetrics, rounds } from "@/lib/db/schema";
import { subscribeToRound } from "./round-listener";

const POLL_MS = 5000;

export type RoundEvent =
  | { type: "status"; status: string; phase: string | null; error: string | null }
  | { type: "metrics"; metrics: { id: number; phase: string; step: number; name: string; value: number }[] };

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

export async function* roundEvents(roundId: string, signal: AbortSignal): AsyncGenerator<RoundEvent> {
  const db = getDb();
  let wake: (() => void) | null = null;
  /** set when a notification came while a read was in progress: read again at once */
  let missed = false;
  const nudge = () => {
    if (wake) {
      wake();
      wake = null;
    } else missed = true;
  };
  const unsubscribe = subscribeToRound(roundId, nudge);
  signal.addEventListener("abort", nudge);
  try {
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
      if (missed) {
        missed = false;
        continue;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(nudge, POLL_MS);
      });
      clearTimeout(timer);
      missed = false;
    }
  } finally {
    signal.removeEventListener("abort", nudge);
    unsubscribe();
  }
}
