import { ApiError } from "@/lib/api/errors";
import { closeWhenAccessEnds } from "@/lib/api/access-bound-stream";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { roundEvents } from "@/lib/rounds/round-events";
import { acquireEventStream } from "@/lib/rounds/round-listener";
import { roundView } from "@/lib/rounds/round-view";

export const dynamic = "force-dynamic";

/** A stream usually lasts as long as its round runs (minutes): ask for a later try than a submit's. */
const STREAMS_FULL_RETRY_AFTER_S = 10;

/**
 * Server-sent events (API.md): `status` ({ status, phase, error }) and `metrics`
 * ({ metrics: [{ id, phase, step, name, value }] }) as the trainer reports them, starting
 * with everything so far; the stream ends when the round has finished. A comment line
 * every 15 s keeps proxies from closing an idle stream. At most ARBITER_EVENT_STREAMS_MAX
 * streams per web process: the next is a 503 with Retry-After (the browser's EventSource
 * tries again by itself). The stream stops when the caller loses access (closeWhenAccessEnds).
 */
export const GET = withPermission<{ id: string }>("rounds.manage", async ({ req, params, stillAllowed }) => {
  const id = uuidParam(params.id, "round");
  if (!(await roundView(id))) throw new ApiError("not_found", "No such round");
  const release = acquireEventStream();
  if (!release) throw new ApiError("unavailable", "This server has as many live round streams open as it serves; try again shortly", undefined, STREAMS_FULL_RETRY_AFTER_S);
  const abort = new AbortController();
  const encoder = new TextEncoder();
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  /** Every way a stream ends (finished, cancelled, aborted, failed) stops its timer and frees its place. */
  const stop = () => {
    clearInterval(keepAlive);
    release();
    abort.abort();
  };
  req.signal.addEventListener("abort", stop);
  const events = roundEvents(id, abort.signal);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      keepAlive = setInterval(() => controller.enqueue(encoder.encode(": keep-alive\n\n")), 15_000);
    },
    async pull(controller) {
      let next: Awaited<ReturnType<typeof events.next>>;
      try {
        next = await events.next();
      } catch (err) {
        // a database error: the stream fails (the browser's EventSource reconnects), and
        // its keep-alive timer must not go on writing to it forever
        stop();
        throw err;
      }
      if (next.done) {
        stop();
        controller.close();
        return;
      }
      const { type, ...data } = next.value;
      controller.enqueue(encoder.encode(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`));
    },
    async cancel() {
      stop();
      await events.return(undefined);
    },
  });
  return new Response(closeWhenAccessEnds(stream, stillAllowed), {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive" },
  });
});
