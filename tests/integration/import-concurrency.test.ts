// Imports run on a connection of their own, not the requests' pool, and at most
// IMPORT_CONCURRENCY at once per web process: the next is answered 503 with Retry-After
// instead of taking the CPU and connections annotators need.
import { NextRequest } from "next/server";
import { afterAll, describe, expect, it, vi } from "vitest";
import { POST as importRoute } from "@/app/api/v1/projects/[id]/import/route";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getPool } from "@/lib/db/client";
import { importsRunning } from "@/lib/import/import-slots";
import { anAdmin, aProject, importText, ndjson, responseRecords } from "./fixtures";

vi.hoisted(() => {
  vi.stubEnv("IMPORT_CONCURRENCY", "1");
  vi.stubEnv("DB_POOL_SIZE", "2");
  vi.stubEnv("DB_CONNECT_TIMEOUT_MS", "2000");
});
// the worker process may run other files next: give them the environment back
afterAll(() => {
  vi.unstubAllEnvs();
});

/** A request body sent in two parts; the second when `finish` is called. */
function slowBody(first: string, second: string) {
  let finish!: () => void;
  const gate = new Promise<void>((r) => (finish = r));
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(encoder.encode(first));
      await gate;
      controller.enqueue(encoder.encode(second));
      controller.close();
    },
  });
  return { stream, finish };
}

function post(projectId: string, token: string, body: ReadableStream<Uint8Array> | string): Promise<Response> {
  const req = new NextRequest(`http://localhost/api/v1/projects/${projectId}/import`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
    body,
    duplex: "half",
  } as ConstructorParameters<typeof NextRequest>[1]);
  return importRoute(req, { params: Promise.resolve({ id: projectId }) });
}

describe("imports", () => {
  it("run on a connection of their own: an import finishes while every pooled connection is taken", async () => {
    const project = await aProject({ mode: "pairwise" });
    const pool = getPool();
    const held = await Promise.all([pool.connect(), pool.connect()]); // DB_POOL_SIZE=2: the pool is empty now
    try {
      const result = await importText(project, ndjson(responseRecords(30, 2, "own-connection")));
      expect(result).toMatchObject({ committed: true, imported: { prompts: 30, comparisons: 30 } });
    } finally {
      for (const c of held) c.release();
    }
  });

  it("past IMPORT_CONCURRENCY, the next is answered 503 with Retry-After, and taken once one has finished", async () => {
    const project = await aProject({ mode: "pairwise" });
    const { token } = await createApiToken((await anAdmin()).id, "imports");
    const lines = ndjson(responseRecords(40, 2, "slow")).split("\n");
    const slow = slowBody(lines.slice(0, 20).join("\n") + "\n", lines.slice(20).join("\n"));
    const first = post(project.id, token, slow.stream);
    await vi.waitFor(() => expect(importsRunning()).toBe(1));

    const refused = await post(project.id, token, ndjson(responseRecords(2, 2, "refused")));
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("30");
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("unavailable");

    slow.finish();
    expect((await first).status).toBe(201);
    expect(importsRunning()).toBe(0);
    const later = await post(project.id, token, ndjson(responseRecords(2, 2, "later")));
    expect(later.status).toBe(201);
  });
});
