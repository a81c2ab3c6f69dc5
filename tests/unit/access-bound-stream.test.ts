// closeWhenAccessEnds without a database: the periodic re-check alone cuts a stream off,
// and a stream whose caller keeps access is passed through whole.
import { describe, expect, it } from "vitest";
import { AccessEnded, closeWhenAccessEnds } from "@/lib/api/access-bound-stream";

/** A byte every 10 ms until cancelled. */
function endless(): ReadableStream<Uint8Array> {
  let cancelled = false;
  return new ReadableStream({
    pull: (c) =>
      new Promise<void>((r) =>
        setTimeout(() => {
          if (!cancelled) c.enqueue(new Uint8Array([1]));
          r();
        }, 10),
      ),
    cancel: () => void (cancelled = true),
  });
}

describe("closeWhenAccessEnds", () => {
  it("errors the stream at the first re-check that finds access gone", async () => {
    let allowed = true;
    const reader = closeWhenAccessEnds(endless(), async () => allowed, { recheckMs: 50 }).getReader();
    await reader.read();
    const started = Date.now();
    allowed = false;
    let error: unknown;
    try {
      for (;;) await reader.read();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AccessEnded);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("passes a body through whole while access lasts", async () => {
    const body = new Blob(["hello ", "world"]).stream();
    const text = await new Response(closeWhenAccessEnds(body, async () => true, { recheckMs: 5 })).text();
    expect(text).toBe("hello world");
  });

  it("keeps the stream when a check cannot answer", async () => {
    const reader = closeWhenAccessEnds(endless(), async () => Promise.reject(new Error("database down")), { recheckMs: 20 }).getReader();
    await new Promise((r) => setTimeout(r, 100));
    expect((await reader.read()).done).toBe(false);
    await reader.cancel();
  });
});
