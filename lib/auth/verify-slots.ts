// A bound on argon2 password verifications running at once in this process. Each takes
// ~19 MiB and tens of milliseconds of a libuv thread (the pool the web process also uses
// for files and zlib), so a flood of sign-ins or password checks could take the process's
// memory and threads. VERIFY_RUNNING_MAX run; up to VERIFY_WAITING_MAX more wait in
// order; beyond that a caller is refused at once (the API answers 503 with Retry-After).
export const VERIFY_RUNNING_MAX = 2;
export const VERIFY_WAITING_MAX = 30;

/** The refusal when every slot and waiting place is taken. */
export const BUSY = Symbol("busy");

let running = 0;
const waiting: Array<() => void> = [];

function release(): void {
  const next = waiting.shift();
  if (next) next(); // the slot passes straight to the next waiter
  else running--;
}

/**
 * Runs `fn` in a verification slot, or answers BUSY without running it. The decision is
 * made before this returns its promise (no await first), so callers that start together
 * are decided in the order they started.
 */
export function withVerifySlot<T>(fn: () => Promise<T>): Promise<T | typeof BUSY> {
  let acquired: Promise<void>;
  if (running < VERIFY_RUNNING_MAX) {
    running++;
    acquired = Promise.resolve();
  } else if (waiting.length < VERIFY_WAITING_MAX) {
    acquired = new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    return Promise.resolve(BUSY);
  }
  return acquired.then(fn).finally(release);
}
