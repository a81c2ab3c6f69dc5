// A long answer (live round events, an export, a model download) is checked when it starts
// and then again whenever access may have changed: on each access-change notification
// (lib/cache/access-cache.ts: a token revoked, a user disabled, sessions ended, in any web
// process) and every STREAM_RECHECK_MS in case one went unheard. When the caller no longer
// has access the answer stops with an error, so the client sees a cut-off transfer, not a
// complete one. The bound: milliseconds after the change while this process listens,
// STREAM_RECHECK_MS at most otherwise. A check that fails (the database is down) leaves the
// stream open until a check can answer.
import { onAccessChange } from "@/lib/cache/access-cache";

export const STREAM_RECHECK_MS = 30_000;

export class AccessEnded extends Error {
  constructor() {
    super("Access ended while the answer was being sent");
  }
}

/** `body`, ended with an error once `stillAllowed` answers false. */
export function closeWhenAccessEnds(
  body: ReadableStream<Uint8Array>,
  stillAllowed: () => Promise<boolean>,
  opts: { recheckMs?: number } = {},
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let stop = () => {};
  let ended = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let checking = false;
      const check = async () => {
        if (checking || ended) return;
        checking = true;
        try {
          if (!(await stillAllowed()) && !ended) {
            ended = true;
            stop();
            controller.error(new AccessEnded());
            await reader.cancel("access ended").catch(() => {});
          }
        } catch {
          // no answer (the database is down): keep the stream; the next check decides
        } finally {
          checking = false;
        }
      };
      const unsubscribe = onAccessChange(() => void check());
      const timer = setInterval(() => void check(), opts.recheckMs ?? STREAM_RECHECK_MS);
      timer.unref?.();
      stop = () => {
        unsubscribe();
        clearInterval(timer);
      };
    },
    async pull(controller) {
      const next = await reader.read().catch((err: unknown) => {
        if (ended) return { done: true as const, value: undefined };
        stop(); // the body failed by itself: stop checking, pass its error on
        throw err;
      });
      if (ended) return;
      if (next.done) {
        ended = true;
        stop();
        controller.close();
        return;
      }
      controller.enqueue(next.value);
    },
    async cancel(reason) {
      ended = true;
      stop();
      await reader.cancel(reason);
    },
  });
}
