// One LISTEN connection per web process for every live round-event stream
// (round-events.ts), fanned out by round id, and a cap on how many streams a process
// serves at once (ARBITER_EVENT_STREAMS_MAX). A connection per stream, as before, let a
// few hundred open rounds pages take every connection PostgreSQL allows.
//
// The connection opens with the first subscriber and closes with the last. If it fails, it
// is made again after a second, and every subscriber is woken meanwhile: a notification
// sent while it was down is lost, so each stream re-reads the round (it also re-reads
// every few seconds on its own). A connection the network drops silently is found by the
// periodic check of lib/db/listen-check.ts and handled the same way.
import { onCloseDb } from "@/lib/db/client";
import { ListenConnection } from "@/lib/db/listen-connection";
import { env } from "@/lib/config/env";
import { processSlots } from "@/lib/concurrency/process-slots";
import { ROUND_CHANNEL } from "./queue";

type Wake = () => void;
type Listener = {
  conn: ListenConnection;
  subscribers: Map<string, Set<Wake>>;
  closeHooked: boolean;
};

// On globalThis, as the pool is (lib/db/client.ts), so Next's dev reloads share one listener.
const globalForRounds = globalThis as unknown as { __arbiterRoundListener?: Listener };
const state: Listener = (globalForRounds.__arbiterRoundListener ??= {
  conn: new ListenConnection({
    channel: ROUND_CHANNEL,
    name: "arbiter round events listener",
    onNotification: (msg) => {
      let roundId: unknown;
      try {
        roundId = msg.payload ? (JSON.parse(msg.payload) as { roundId?: unknown }).roundId : undefined;
      } catch {
        return;
      }
      if (typeof roundId === "string") for (const wake of state.subscribers.get(roundId) ?? []) wake();
    },
    // A lost connection must not take the web process down; streams poll until it is back.
    onLost: (why) => {
      if (why) console.error(`[round events] listening connection ${why}; reconnecting`);
      wakeAll();
    },
    keepTrying: () => state.subscribers.size > 0,
  }),
  subscribers: new Map(),
  closeHooked: false,
});

function wakeAll(): void {
  for (const wakes of state.subscribers.values()) for (const wake of wakes) wake();
}

function connect(): void {
  if (state.subscribers.size === 0 || !process.env.DATABASE_URL) return;
  if (!state.closeHooked) {
    state.closeHooked = true;
    onCloseDb(close);
  }
  state.conn.start();
}

async function close(): Promise<void> {
  state.closeHooked = false;
  await state.conn.stop();
}

/** Calls `wake` whenever a notification names this round (or the connection was lost); returns the unsubscribe. */
export function subscribeToRound(roundId: string, wake: Wake): () => void {
  let wakes = state.subscribers.get(roundId);
  if (!wakes) state.subscribers.set(roundId, (wakes = new Set()));
  wakes.add(wake);
  connect();
  return () => {
    wakes.delete(wake);
    if (wakes.size === 0 && state.subscribers.get(roundId) === wakes) state.subscribers.delete(roundId);
    if (state.subscribers.size === 0) void close();
  };
}

const streamSlots = processSlots("event-stream", () => env().ARBITER_EVENT_STREAMS_MAX);

/** A place for one more live stream, or null when ARBITER_EVENT_STREAMS_MAX are open; the release is idempotent. */
export const acquireEventStream = streamSlots.tryAcquire;

/** Streams open and the listening connection's state, for tests and /api/health. */
export function eventStreamStats(): { streams: number; max: number; listening: boolean } {
  return { streams: streamSlots.running(), max: env().ARBITER_EVENT_STREAMS_MAX, listening: state.conn.open };
}
