// How a round reports while it runs: metrics into round_metrics (the API's history and the
// live charts read them) and a NOTIFY on channel "arbiter_round" so listeners need not poll.
import { eq, sql } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { roundMetrics, rounds } from "@/lib/db/schema";
import { ROUND_CHANNEL } from "@/lib/rounds/queue";


export type RoundLog = {
  metrics(phase: string, step: number, values: Record<string, number | null>): Promise<void>;
  phase(phase: string | null): Promise<void>;
  line(text: string): void;
};

export function roundLog(db: Db, roundId: string, print: (line: string) => void): RoundLog {
  const notify = (payload: object) => db.execute(sql`select pg_notify(${ROUND_CHANNEL}, ${JSON.stringify({ roundId, ...payload })})`);
  return {
    async metrics(phase, step, values) {
      const rows = Object.entries(values)
        .filter((e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1]))
        .map(([name, value]) => ({ roundId, phase, step, name, value }));
      if (!rows.length) return;
      await db.insert(roundMetrics).values(rows);
      await notify({ type: "metrics", phase, step });
    },
    async phase(phase) {
      await db.update(rounds).set({ phase }).where(eq(rounds.id, roundId));
      await notify({ type: "phase", phase });
      if (phase) print(`phase ${phase}`);
    },
    line: print,
  };
}
