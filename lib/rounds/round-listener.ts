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
import pg from "pg";
import { onCloseDb } from "@/lib/db/client";
import { checkListenConnection, listenConnectionConfig } from "@/lib/db/listen-check";
import { env } from "@/lib/config/env";
import { processSlots } from "@/lib/concurrency/process-slots";
import { ROUND_CHANNEL } from "./queue";

const RECONNECT_MS = 1_000;

type Wake = () => void;
type Listener = {
  client: pg.Client | null;
  retry: ReturnType<typeof setTimeout> | null;
  /** stops the periodic check of the listening connection */
  stopCheck: (() => void) | null;
  subscribers: Map<string, Set<Wake>>;
  closeHooked: boolean;
};

// On globalThis, as the pool is (lib/db/client.ts), so Next's dev reloads share one listener.
const globalForRounds = globalThis as unknown as { __arbiterRoundListener?: Listener };
const state: Listener = (globalForRounds.__arbiterRoundListener ??= { client: null, retry: null, stopCheck: null, subscribers: new Map(), closeHooked: false });

function wakeAll(): void {
  for (const wakes of state.subscribers.values()) for (const wake of wakes) wake();
}

function connectionLost(client: pg.Client): void {
  if (state.client !== client) return;
  state.client = null;
  state.stopCheck?.();
  state.stopCheck = null;
  client.end().catch(() => {});
  wakeAll();
  if (state.subscribers.size > 0 && !state.retry) state.retry = setTimeout(() => ((state.retry = null), connect()), RECONNECT_MS);
}

function connect(): void {
  if (state.client || state.subscribers.size === 0 || !process.env.DATABASE_URL) return;
  if (!state.closeHooked) {
    state.closeHooked = true;
    onCloseDb(close);
  }
  const client = new pg.Client(listenConnectionConfig("arbiter round events listener"));
  state.client = client;
  client.on("notification", (msg) => {
    let roundId: unknown;
    try {
      roundId = msg.payload ? (JSON.parse(msg.payload) as { roundId?: unknown }).roundId : undefined;
    } catch {
      return;
    }
    if (typeof roundId === "string") for (const wake of state.subscribers.get(roundId) ?? []) wake();
  });
  // A lost connection must not take the web process down; streams poll until it is back.
  client.on("error", (err) => {
    console.error(`[round events] listening connection failed: ${err.message}; reconnecting`);
    connectionLost(client);
  });
  client.on("end", () => connectionLost(client));
  client
    .connect()
    .then(() => client.query(`listen ${ROUND_CHANNEL}`))
    .then(() => {
      if (state.client !== client) return;
      state.stopCheck = checkListenConnection(client, (why) => {
        console.error(`[round events] listening connection lost (${why}); reconnecting`);
        connectionLost(client);
      });
    })
    .catch(() => connectionLost(client));
}

async function close(): Promise<void> {
  state.closeHooked = false;
  if (state.retry) clearTimeout(state.retry);
  state.retry = null;
  state.stopCheck?.();
  state.stopCheck = null;
  const client = state.client;
  state.client = null;
  await client?.end().catch(() => {});
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
  return { streams: streamSlots.running(), max: env().ARBITER_EVENT_STREAMS_MAX, listening: state.client !== null };
}
