// A LISTEN connection only receives, so one the network dropped without a word (a NAT's
// or firewall's idle timeout, a machine gone) fails nothing: its listener keeps waiting
// for notifications that never come, and a process that caches on the strength of them
// keeps caching. Two guards: TCP keepalive on the connection (the kernel notices a dead
// peer after its probes, minutes), and this check, which notices within two intervals: a
// `select 1` every DB_LISTEN_CHECK_MS that must answer within the same time, else the
// connection is taken as lost and its socket destroyed.
import pg from "pg";
import { connectionConfig } from "@/lib/db/client";
import { env } from "@/lib/config/env";

/** A connection for LISTEN: the long-work settings, TCP keepalive, and a name pg_stat_activity shows (PGAPPNAME, when set, wins). */
export function listenConnectionConfig(applicationName: string, url?: string): pg.ClientConfig {
  return { ...connectionConfig("long", url), keepAlive: true, keepAliveInitialDelayMillis: 10_000, fallback_application_name: applicationName };
}

/**
 * Checks `client` every DB_LISTEN_CHECK_MS until it fails or the returned function is
 * called; on a failure or a check that went unanswered, stops, destroys the connection's
 * socket (ending it politely would wait on a peer that is gone) and calls `lost`.
 */
export function checkListenConnection(client: pg.Client, lost: (why: string) => void): () => void {
  const everyMs = env().DB_LISTEN_CHECK_MS;
  let stopped = false;
  let inFlight = false;
  const fail = (why: string) => {
    if (stopped) return;
    stop();
    destroy(client);
    lost(why);
  };
  const timer = setInterval(() => {
    if (inFlight || stopped) return;
    inFlight = true;
    const unanswered = setTimeout(() => fail(`a check went unanswered for ${everyMs} ms`), everyMs);
    unanswered.unref();
    client.query("select 1").then(
      () => {
        clearTimeout(unanswered);
        inFlight = false;
      },
      (err: unknown) => {
        clearTimeout(unanswered);
        fail(`a check failed: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
  }, everyMs);
  timer.unref(); // never what keeps a process alive
  function stop() {
    stopped = true;
    clearInterval(timer);
  }
  return stop;
}

/** pg keeps the socket as `connection.stream`; end() alone would leave it waiting for the peer's FIN. */
function destroy(client: pg.Client): void {
  client.end().catch(() => {});
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
