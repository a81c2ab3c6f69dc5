// At most EXPORT_CONCURRENCY exports (downloads, previews, dataset cards) at once per web
// process. Each holds a connection of its own, outside the pool, in a transaction that can
// stream for minutes: without a bound, parallel exports could take every connection
// PostgreSQL allows (max_connections). The next one is answered 503 with Retry-After.
import { ApiError } from "@/lib/api/errors";
import { env } from "@/lib/config/env";

/** An export takes seconds to minutes: ask for a later try than a submit's. */
export const EXPORT_BUSY_RETRY_AFTER_S = 5;

const globalForExports = globalThis as unknown as { __arbiterExports?: { running: number } };
const state = (globalForExports.__arbiterExports ??= { running: 0 });

/** A place for one more export (its release is idempotent), or 503 when EXPORT_CONCURRENCY are running. */
export function acquireExportSlot(): () => void {
  const max = env().EXPORT_CONCURRENCY;
  if (state.running >= max) throw new ApiError("unavailable", `${max} exports are running on this server; try again when one has finished`, undefined, EXPORT_BUSY_RETRY_AFTER_S);
  state.running++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    state.running--;
  };
}

export function exportsRunning(): number {
  return state.running;
}
