// At most IMPORT_CONCURRENCY imports at once per web process. Each holds a connection of
// its own and a transaction that can run for minutes, and parses on the process's one
// thread: past a few at once they would take the CPU and connections annotators' submits
// need. The next import is answered 503 with Retry-After instead of queueing.
import { env } from "@/lib/config/env";
import { processSlots } from "@/lib/concurrency/process-slots";

const slots = processSlots("import", () => env().IMPORT_CONCURRENCY);

/** A place for one more import, or null when IMPORT_CONCURRENCY are running; the release is idempotent. */
export const acquireImportSlot = slots.tryAcquire;

export const importsRunning = slots.running;
