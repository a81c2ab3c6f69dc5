// Exports run on a connection of their own, outside the pool, and at most
// EXPORT_CONCURRENCY at once per web process (lib/export/export-slots.ts): the next
// download, preview or dataset card is answered 503 with Retry-After instead of opening
// one more connection, so parallel exports cannot take every connection PostgreSQL allows.
import { createServer, type AddressInfo } from "node:net";
import { NextRequest } from "next/server";
import { afterAll, describe, expect, it, vi } from "vitest";
import { GET as exportRoute } from "@/app/api/v1/projects/[id]/export/route";
import { GET as previewRoute } from "@/app/api/v1/projects/[id]/export/preview/route";
import { createApiToken } from "@/lib/auth/api-tokens";
import { exportsRunning } from "@/lib/export/export-slots";
import { exportRecords } from "@/lib/export/stream";
import { anAdmin, aProject, importText, ndjson } from "./fixtures";

vi.hoisted(() => {
  vi.stubEnv("EXPORT_CONCURRENCY", "1");
  vi.stubEnv("DB_CONNECT_TIMEOUT_MS", "500");
  if (!process.env.NEXTAUTH_SECRET) vi.stubEnv("NEXTAUTH_SECRET", "export-concurrency-test-secret");
});
// the worker process may run other files next: give them the environment back
afterAll(() => {
  vi.unstubAllEnvs();
});

describe("export concurrency", () => {
  it("answers 503 with Retry-After while EXPORT_CONCURRENCY exports stream, and serves again once one ends", async () => {
    const project = await aProject({ mode: "pairwise" });
    await importText(project, ndjson(Array.from({ length: 5 }, (_, i) => ({ prompt: `Question ${i}`, chosen: `Good ${i}`, rejected: `Bad ${i}` }))));
    const { token } = await createApiToken((await anAdmin()).id, "export");
    const get = (route: typeof exportRoute, suffix: string) =>
      route(new NextRequest(`http://localhost/api/v1/projects/${project.id}/export${suffix}?format=raw`, { headers: { authorization: `Bearer ${token}` } }), {
        params: Promise.resolve({ id: project.id }),
      });

    // one export mid-stream: its first record read, the rest not yet
    const streaming = exportRecords(project.id, {}, { format: "raw", secret: "test-secret" });
    expect((await streaming.next()).done).toBe(false);
    expect(exportsRunning()).toBe(1);

    const refused = await get(exportRoute, "");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("unavailable");
    expect((await get(previewRoute, "/preview")).status).toBe(503);

    await streaming.return(undefined); // the consumer went away: the place is free
    expect(exportsRunning()).toBe(0);
    const served = await get(exportRoute, "");
    expect(served.status).toBe(200);
    expect((await served.text()).trim().split("\n")).toHaveLength(5);
    expect(exportsRunning()).toBe(0);
  });

  it("gives up connecting after DB_CONNECT_TIMEOUT_MS (a server that accepts and never answers) and frees its place", async () => {
    const silent = createServer(() => {}); // takes the connection, never speaks
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const url = process.env.DATABASE_URL!;
    process.env.DATABASE_URL = `postgres://arbiter@127.0.0.1:${(silent.address() as AddressInfo).port}/arbiter`;
    try {
      const started = Date.now();
      await expect(exportRecords("00000000-0000-4000-8000-000000000000", {}, { format: "raw", secret: "s" }).next()).rejects.toThrow(/timeout/i);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(exportsRunning()).toBe(0);
    } finally {
      process.env.DATABASE_URL = url;
      silent.close();
    }
  }, 15_000);
});
