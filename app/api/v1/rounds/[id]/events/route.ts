import { ApiError } from "@/lib/api/errors";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { roundEvents } from "@/lib/rounds/round-events";
import { roundView } from "@/lib/rounds/round-view";

export const dynamic = "force-dynamic";

/**
 * Server-sent events (API.md): `status` ({ status, phase, error }) and `metrics`
 * ({ metrics: [{ id, phase, step, name, value }] }) as the trainer reports them, starting
 * with everything so far; the stream ends when the round has finished. A comment line
 * every 15 s keeps proxies from closing an idle stream.
 */
export const GET = withPermission<{ id: string }>("rounds.manage", async ({ req, params }) => {
  const id = uuidParam(params.id, "round");
  if (!(await roundView(id))) throw new ApiError("not_found", "No such round");
  const abort = new AbortController();
  req.signal.addEventListener("abort", () => abort.abort());
  const events = roundEvents(id, abort.signal);
  const encoder = new TextEncoder();
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      keepAlive = setInterval(() => controller.enqueue(encoder.encode(": keep-alive\n\n")), 15_000);
    },
    async pull(controller) {
      const next = await events.next();
      if (next.done) {
        clearInterval(keepAlive);
        controller.close();
        return;
      }
      const { type, ...data } = next.value;
      controller.enqueue(encoder.encode(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`));
    },
    async cancel() {
      clearInterval(keepAlive);
      abort.abort();
      await events.return(undefined);
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive" },
  });
});
