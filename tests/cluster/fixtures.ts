// Accounts straight in the database (as the CLI makes them), everything else through the
// web processes' HTTP API with bearer tokens.
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { logTail } from "./cluster";

export const cluster = () => inject("cluster");

/** A model small enough for a reward-model phase in seconds (tests/integration/rounds.test.ts). */
export const TINY = { nEmbd: 32, nLayer: 1, nHead: 2, nPositions: 128 };

export type Person = { id: string; email: string; token: string };

export async function people(n: number, role: "admin" | "annotator", label: string): Promise<Person[]> {
  const rows = await getDb()
    .insert(users)
    .values(Array.from({ length: n }, (_, i) => ({ email: `${label}-${i}-${randomUUID().slice(0, 8)}@cluster.test`, role })))
    .returning({ id: users.id, email: users.email });
  return Promise.all(rows.map(async (u) => ({ ...u, token: (await createApiToken(u.id, "cluster")).token })));
}

export function api(url: string, token: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": typeof body === "string" ? "application/x-ndjson" : "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
}

/** The JSON of an answer with the expected status, or an error naming what came instead. */
export async function expectJson<T>(res: Promise<Response>, status: number, what: string): Promise<T> {
  const r = await res;
  const text = await r.text();
  if (r.status !== status) throw new Error(`${what}: ${r.status} (expected ${status}) ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A project made and filled through the API: created on `url`, its records imported in one request. */
export async function project(url: string, admin: Person, body: Record<string, unknown>, records: unknown[]): Promise<string> {
  const { id } = await expectJson<{ id: string }>(api(url, admin.token, "POST", "/api/v1/projects", body), 201, "create project");
  await expectJson(api(url, admin.token, "POST", `/api/v1/projects/${id}/import`, records.map((r) => JSON.stringify(r)).join("\n")), 201, "import");
  return id;
}

export async function addMembers(url: string, admin: Person, projectId: string, members: Person[]): Promise<void> {
  for (let i = 0; i < members.length; i += 500) {
    const { unknown } = await expectJson<{ unknown: string[] }>(
      api(url, admin.token, "POST", `/api/v1/projects/${projectId}/members`, { emails: members.slice(i, i + 500).map((m) => m.email) }),
      200,
      "add members",
    );
    if (unknown.length) throw new Error(`unknown members: ${unknown.join(", ")}`);
  }
}

/** Preference records: polite answers beat rude ones (each an imported judgment). */
export function preferences(n: number, label = "task") {
  return Array.from({ length: n }, (_, i) => ({
    prompt: `Can you help with ${label} ${i}?`,
    chosen: `Of course, happy to help with ${label} ${i}. Thanks!`,
    rejected: `No. ${label} ${i} is your problem.`,
  }));
}

/** What every process of the cluster printed last, for a failure message. */
export function consoles(lines = 20): string {
  return Object.entries(cluster().logs)
    .map(([name, file]) => logTail(name, file, lines))
    .join("\n");
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
