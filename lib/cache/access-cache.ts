// Caches of who may do what (the user behind an API token, project memberships with the
// project's settings), kept in each process and cleared in every process when they change.
// A writer that changes them (revokes a token, disables a user, removes or adds a member,
// edits a project's settings) NOTIFYs channel "arbiter_access" in its transaction; each
// process LISTENs on a connection of its own and clears these caches when the notification
// arrives. A process whose listening connection is not up does not cache at all, and
// losing it clears them, so a change reaches every process no later than PostgreSQL
// delivers the notification (well under a millisecond on one machine, a network round trip
// across machines). A connection the network drops silently fails nothing by itself; the
// check in listen-check.ts (a `select 1` every DB_LISTEN_CHECK_MS, 10 s, answered within
// as long) takes it as lost, and each cache's TTL (5 s tokens, 2 s memberships) bounds what
// is served meanwhile from entries made before the drop: a change is seen at the latest
// when the TTL lapses, and nothing is cached again until the connection is back.
import { sql } from "drizzle-orm";
import { onCloseDb, type Db, type Tx } from "@/lib/db/client";
import { ListenConnection } from "@/lib/db/listen-connection";
import { TtlCache } from "./ttl-cache";

export const ACCESS_CHANNEL = "arbiter_access";

type Listener = {
  conn: ListenConnection;
  /** raised by every notification and every loss of the connection: a lookup that began before must not be cached */
  generation: number;
  stopped: boolean;
  caches: Set<{ clear(): void }>;
};

// On globalThis, as the pool is (lib/db/client.ts), so Next's dev reloads share one listener.
const globalForAccess = globalThis as unknown as { __arbiterAccess?: Listener };
const state: Listener = (globalForAccess.__arbiterAccess ??= {
  conn: new ListenConnection({
    channel: ACCESS_CHANNEL,
    name: "arbiter access listener",
    onNotification: () => clearAll(),
    onLost: (why) => {
      if (why) console.error(`[access cache] listening connection ${why}; not caching until it is back`);
      clearAll();
    },
    keepTrying: () => !state.stopped,
  }),
  generation: 0,
  stopped: true,
  caches: new Set(),
});

function clearAll(): void {
  state.generation++;
  for (const cache of state.caches) cache.clear();
  for (const listener of accessListeners) listener();
}

/** Called on every access change this process learns of (and when its listening connection fails): open streams re-check their callers. */
const accessListeners = new Set<() => void>();

/**
 * Calls `listener` whenever access may have changed: a notification from any process, a
 * change made here, or the loss of the listening connection (a change may have gone
 * unheard). Starts the listener if it is not up. Returns the unsubscribe function.
 */
export function onAccessChange(listener: () => void): () => void {
  accessListeners.add(listener);
  if (!state.conn.listening) startListening();
  return () => void accessListeners.delete(listener);
}

function startListening(): void {
  if (!process.env.DATABASE_URL) return;
  if (state.stopped) {
    state.stopped = false;
    onCloseDb(stopListening);
  }
  state.conn.start();
}

/** Ends the listening connection (with the pool: tests, shutdown); the next cache use starts it again. */
async function stopListening(): Promise<void> {
  state.stopped = true;
  const stopped = state.conn.stop();
  clearAll();
  await stopped;
}

/**
 * Tells every process to drop its cached access. Pass the transaction that changes the
 * access: PostgreSQL delivers the notification when it commits, never for a rollback.
 */
export async function notifyAccessChanged(db: Db | Tx): Promise<void> {
  await db.execute(sql`select pg_notify(${ACCESS_CHANNEL}, '')`);
  clearAll(); // this process at once, without waiting for its own notification
}

/** A TtlCache that answers only while this process listens for access changes, and is cleared by them. */
export class AccessCache<K, V> {
  private readonly entries: TtlCache<K, V>;

  constructor(ttlMs: number, maxEntries?: number) {
    this.entries = new TtlCache<K, V>(ttlMs, maxEntries);
    state.caches.add(this.entries);
  }

  /**
   * The cached value, or `load`'s, which is kept only when no access change (and no loss
   * of the listening connection) came between the start of the lookup and its end.
   */
  async remember(key: K, load: () => Promise<V | undefined>): Promise<V | undefined> {
    if (!state.conn.listening) {
      startListening();
      return load();
    }
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const generation = state.generation;
    const value = await load();
    if (value !== undefined && state.conn.listening && generation === state.generation) this.entries.set(key, value);
    return value;
  }

  /** Drops this process's entries (writers here that change what is cached but not access). */
  clear(): void {
    state.generation++; // a lookup in flight may have read the old state
    this.entries.clear();
  }
}

/** For tests: whether this process is listening (and so caching). */
export function isListeningForAccessChanges(): boolean {
  return state.conn.listening;
}
