// HTTP and setup helpers shared by the annotation benchmarks (annotation.ts, step-sql.ts).
import { randomUUID } from "node:crypto";
import { Agent, request } from "undici";
import { createApiToken } from "@/lib/auth/api-tokens";
import { closeDb, getDb } from "@/lib/db/client";
import { startEmbeddedPostgres } from "@/lib/db/embedded";
import { users } from "@/lib/db/schema";
import { startPlatform } from "./harness";

export type Reply = { status: number; json(): Promise<any>; text(): Promise<string> };

// undici's request API with keep-alive: far lighter per request than fetch, so the load
// generator (which shares the 2 cores) measures the server rather than itself.
const dispatcher = new Agent({ connections: 512, keepAliveTimeout: 30_000 });

export async function api(url: string, token: string | null, method: "GET" | "POST", path: string, body?: unknown | string): Promise<Reply> {
  const res = await request(url + path, {
    method,
    dispatcher,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: async () => JSON.parse(text), text: async () => text };
}

export type BenchPlatform = { url: string; databaseUrl: string; adminToken: string };

/**
 * The platform started as `npm start` starts it (harness.ts), this process connected to
 * its embedded database for setup (reusing the running server), and an admin's token;
 * everything stopped when `fn` is done.
 */
export async function withBenchPlatform(port: number, env: Record<string, string>, fn: (p: BenchPlatform) => Promise<void>): Promise<void> {
  const platform = await startPlatform(port, env);
  const embedded = await startEmbeddedPostgres({ dataDir: platform.dataDir });
  process.env.DATABASE_URL = embedded.url;
  try {
    const [admin] = await getDb().insert(users).values({ email: `bench-admin-${randomUUID().slice(0, 6)}@bench.local`, role: "admin" }).returning();
    await fn({ url: platform.url, databaseUrl: embedded.url, adminToken: (await createApiToken(admin!.id, "bench")).token });
  } finally {
    await closeDb();
    await platform.stop();
  }
}

export async function makeAnnotators(n: number, label: string): Promise<{ id: string; email: string; token: string }[]> {
  const rows = await getDb()
    .insert(users)
    .values(Array.from({ length: n }, (_, i) => ({ email: `${label}-${i}-${randomUUID().slice(0, 6)}@bench.local`, role: "annotator" as const })))
    .returning({ id: users.id, email: users.email });
  return Promise.all(rows.map(async (u) => ({ ...u, token: (await createApiToken(u.id, "bench")).token })));
}

export async function makeProject(url: string, adminToken: string, name: string, prompts: number, redundancy: number, members: string[]): Promise<string> {
  const { id } = await (await api(url, adminToken, "POST", "/api/v1/projects", { name, mode: "pairwise", redundancy })).json();
  const lines = Array.from({ length: prompts }, (_, i) =>
    JSON.stringify({ prompt: `${name} prompt ${i}`, responses: [{ text: `first answer ${i}`, source: "a" }, { text: `a rather different reply number ${i}`, source: "b" }] }),
  ).join("\n");
  const res = await api(url, adminToken, "POST", `/api/v1/projects/${id}/import`, lines);
  if (res.status !== 201) throw new Error(`import failed: ${res.status} ${await res.text()}`);
  for (let i = 0; i < members.length; i += 500) {
    await api(url, adminToken, "POST", `/api/v1/projects/${id}/members`, { emails: members.slice(i, i + 500) });
  }
  return id;
}
