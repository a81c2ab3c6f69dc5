// At most IMPORT_CONCURRENCY imports at once per web process. Each holds a connection of
// its own and a transaction that can run for minutes, and parses on the process's one
// thread: past a few at once they would take the CPU and connections annotators' submits
// need. The next import is answered 503 with Retry-After instead of queueing.
import { env } from "@/lib/config/env";

const globalForImports = globalThis as unknown as { __arbiterImports?: { running: number } };
const state = (globalForImports.__arbiterImports ??= { running: 0 });

/** A place for one more import, or null when IMPORT_CONCURRENCY are running; the release is idempotent. */
export function acquireImportSlot(): (() => void) | null {
  if (state.running >= env().IMPORT_CONCURRENCY) return null;
  state.running++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    state.running--;
  };
}

export function importsRunning(): number {
  return state.running;
}
