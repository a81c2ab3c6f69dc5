// At most EXPORT_CONCURRENCY exports (downloads, previews, dataset cards) at once per web
// process. Each holds a connection of its own, outside the pool, in a transaction that can
// stream for minutes: without a bound, parallel exports could take every connection
// PostgreSQL allows (max_connections). The next one is answered 503 with Retry-After.
import { ApiError } from "@/lib/api/errors";
import { processSlots } from "@/lib/concurrency/process-slots";
import { env } from "@/lib/config/env";

/** An export takes seconds to minutes: ask for a later try than a submit's. */
export const EXPORT_BUSY_RETRY_AFTER_S = 5;

const slots = processSlots("export", () => env().EXPORT_CONCURRENCY);

/** A place for one more export (its release is idempotent), or 503 when EXPORT_CONCURRENCY are running. */
export function acquireExportSlot(): () => void {
  const release = slots.tryAcquire();
  if (release) return release;
  const max = env().EXPORT_CONCURRENCY;
  throw new ApiError("unavailable", `${max} exports are running on this server; try again when one has finished`, undefined, EXPORT_BUSY_RETRY_AFTER_S);
}

export const exportsRunning = slots.running;
