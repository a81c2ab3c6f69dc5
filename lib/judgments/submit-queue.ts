// Submits coalesced into batches (drizzle/0009): a submit goes to PostgreSQL at once while
// fewer than `maxInFlight` calls are there; the ones that arrive meanwhile wait and go
// together, as one arbiter_submit_judgments call, when a call comes back. At a human pace
// every batch is a single submit and nothing waits; under load a batch shares one commit
// (and its WAL flush), one round trip and one statement's setup among its judgments,
// which is where PostgreSQL spent much of a step (BENCHMARKS.md, session 9).
//
// A call that takes longer than `stallMs` (a lock wait behind a long transaction, a slow
// flush) stops counting against `maxInFlight`, so one stuck call does not hold up every
// annotator's submit behind it.
//
// A judgment is acknowledged only once its batch has committed. If the batch fails (one
// item's conflict rolls back all of them), the failure is logged and each item is
// submitted again on its own, so every caller gets exactly the answer, or the error, it
// would have had alone.
//
// The queue is bounded: with `maxPending` submits waiting or in flight (a stalled or
// restarting database, a burst beyond what it can take), the next is refused at once with
// SubmitQueueFull (503 with Retry-After, submit-judgment.ts) instead of piling up memory
// and connections without limit; the client retries with the same clientId.
import { namedQuery } from "@/lib/db/prepared";

/** One submit: arbiter_submit_judgment's arguments (drizzle/0008). */
export type SubmitArgs = {
  comparisonId: string;
  annotatorId: string;
  clientId: string;
  ranking: unknown;
  strength: number | null;
  bothBad: boolean;
  criteria: unknown;
  rationale: string | null;
  durationMs: number | null;
  next: boolean;
  /** The assignment's five settings (assignmentParams), used when `next`. */
  assignment: unknown[];
};

/** The arguments in arbiter_submit_judgment's order; `json` encodes the two jsonb ones (as text for a statement's parameters, as values inside a batch's JSON). */
function positional(a: SubmitArgs, json: (v: unknown) => unknown): unknown[] {
  const { comparisonId, annotatorId, clientId, ranking, strength, bothBad, criteria, rationale, durationMs, next, assignment } = a;
  return [comparisonId, annotatorId, clientId, json(ranking), strength, bothBad, criteria == null ? null : json(criteria), rationale, durationMs, next, ...assignment];
}

type Waiting<R> = { args: SubmitArgs; resolve: (r: R) => void; reject: (e: unknown) => void };

const SINGLE = "select arbiter_submit_judgment($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) as result";
const BATCH = "select arbiter_submit_judgments($1) as results";

export type SubmitQueueOptions = {
  /** Calls in PostgreSQL at once; more submits wait for the next batch. */
  maxInFlight: number;
  /** Items per batch at most (bounds one transaction's locks and time). */
  maxBatch: number;
  /** After this long a call no longer counts as in flight: the next batch may go beside it. */
  stallMs: number;
  /** Submits waiting or in flight at most; the next is refused (SubmitQueueFull). */
  maxPending: number;
  /** Where a failed batch is reported before its items go alone (default console.warn). */
  log?: (line: string) => void;
};

/** The queue holds maxPending submits already: refused without touching the database. */
export class SubmitQueueFull extends Error {
  constructor(readonly pending: number) {
    super(`${pending} submits are already waiting in this web process`);
  }
}

export class SubmitQueue<R> {
  private readonly waiting: Waiting<R>[] = [];
  private inFlight = 0;
  /** Submits in the calls in flight (a batch counts its items). */
  private itemsInFlight = 0;
  /** Calls in flight for longer than stallMs. */
  private stalled = 0;
  private readonly counts = { calls: 0, batches: 0, fallbacks: 0, refused: 0 };

  constructor(private readonly opts: SubmitQueueOptions) {}

  /** Calls sent (a batch or a lone submit), batches among them, batches that failed and went item by item, and submits refused as the queue was full. */
  stats(): Readonly<typeof this.counts> {
    return { ...this.counts };
  }

  /** Submits waiting or in flight now, and the most there may be (for /api/health). */
  backlog(): { pending: number; max: number } {
    return { pending: this.waiting.length + this.itemsInFlight, max: this.opts.maxPending };
  }

  submit(args: SubmitArgs): Promise<R> {
    const pending = this.waiting.length + this.itemsInFlight;
    if (pending >= this.opts.maxPending) {
      this.counts.refused++;
      return Promise.reject(new SubmitQueueFull(pending));
    }
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ args, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight - this.stalled < this.opts.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.opts.maxBatch);
      this.inFlight++;
      this.itemsInFlight += batch.length;
      for (const w of batch) this.countOutOnAnswer(w);
      let stalled = false;
      const timer = setTimeout(() => {
        stalled = true;
        this.stalled++;
        this.pump();
      }, this.opts.stallMs);
      void this.send(batch).finally(() => {
        clearTimeout(timer);
        if (stalled) this.stalled--;
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** An item leaves the backlog as its caller is answered (before the call's own bookkeeping). */
  private countOutOnAnswer(w: Waiting<R>): void {
    const { resolve, reject } = w;
    w.resolve = (r) => (this.itemsInFlight--, resolve(r));
    w.reject = (e) => (this.itemsInFlight--, reject(e));
  }

  private async send(batch: Waiting<R>[]): Promise<void> {
    this.counts.calls++;
    if (batch.length > 1) {
      this.counts.batches++;
      let results: R[] | undefined;
      try {
        const [row] = await namedQuery<{ results: R[] }>("judgments.submit-batch", BATCH, [JSON.stringify(batch.map((w) => positional(w.args, (v) => v)))]);
        results = row!.results;
      } catch (err) {
        // One item's error rolled back the batch (or the database failed it): say so, then give each its own answer.
        const { code, message } = err as { code?: string; message?: string };
        (this.opts.log ?? console.warn)(`[submit queue] a batch of ${batch.length} failed (${code ? `${code}: ` : ""}${message ?? String(err)}); submitting each alone`);
      }
      if (results) {
        batch.forEach((w, i) => w.resolve(results[i]!));
        return;
      }
      this.counts.fallbacks++;
    }
    await Promise.all(batch.map((w) => submitOne(w)));
  }
}

async function submitOne<R>(w: Waiting<R>): Promise<void> {
  try {
    const [row] = await namedQuery<{ result: R }>("judgments.submit", SINGLE, positional(w.args, (v) => JSON.stringify(v)));
    w.resolve(row!.result);
  } catch (err) {
    w.reject(err);
  }
}
