// A count of things running at once in this web process (imports, exports, live streams),
// each kind with its own limit read from the settings at every try. Kept on globalThis so
// Next.js's module copies (route bundles, dev reloads) share one count per kind.

export type Slots = {
  /** A place for one more, or null when `limit()` are running; the release is idempotent. */
  tryAcquire(): (() => void) | null;
  running(): number;
};

const counts = ((globalThis as unknown as { __arbiterSlots?: Map<string, { running: number }> }).__arbiterSlots ??= new Map());

export function processSlots(kind: string, limit: () => number): Slots {
  const state = counts.get(kind) ?? { running: 0 };
  counts.set(kind, state);
  return {
    tryAcquire() {
      if (state.running >= limit()) return null;
      state.running++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        state.running--;
      };
    },
    running: () => state.running,
  };
}
