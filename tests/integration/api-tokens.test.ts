// API tokens through the HTTP routes and the CLI, against the real database: listing,
// revoking (in this process and from another one), expiry, last use, and no token minting.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { eq } from "drizzle-orm";
import { NextRequest } from "next/server";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createApiToken, userForApiToken, type PublicToken } from "@/lib/auth/api-tokens";
import { isListeningForAccessChanges } from "@/lib/cache/access-cache";
import { getDb } from "@/lib/db/client";
import { apiTokens } from "@/lib/db/schema";
import { createUser, setUserDisabled } from "@/lib/users/users";
import { uniqueEmail } from "./helpers";

const PASSWORD = "a long enough password";

async function aUser(role: "admin" | "annotator" = "annotator") {
  return (await createUser({ email: uniqueEmail(role), role, password: PASSWORD })).user;
}

function bearer(token: string, init: { method?: string; body?: unknown } = {}) {
  return {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { "content-type": "application/json" }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  };
}

async function tokensRoute(token: string, init: { method?: string; body?: unknown; query?: string } = {}): Promise<Response> {
  const route = await import("@/app/api/v1/tokens/route");
  const req = new NextRequest(`http://localhost/api/v1/tokens${init.query ?? ""}`, bearer(token, init));
  return (init.method === "POST" ? route.POST : route.GET)(req, { params: Promise.resolve({}) });
}

async function revokeRoute(token: string, id: string): Promise<Response> {
  const { DELETE } = await import("@/app/api/v1/tokens/[id]/route");
  return DELETE(new NextRequest(`http://localhost/api/v1/tokens/${id}`, bearer(token, { method: "DELETE" })), { params: Promise.resolve({ id }) });
}

async function me(token: string): Promise<number> {
  const { GET } = await import("@/app/api/v1/me/route");
  return (await GET(new NextRequest("http://localhost/api/v1/me", bearer(token)), { params: Promise.resolve({}) })).status;
}

async function waitUntilListening(): Promise<void> {
  await userForApiToken("arb_nothing"); // starts the listener
  for (let i = 0; i < 100 && !isListeningForAccessChanges(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(isListeningForAccessChanges()).toBe(true);
}

describe("API tokens", () => {
  it("expire after 90 days unless another expiry (1-365 days) is chosen", async () => {
    const user = await aUser();
    const before = Date.now();
    const a = await createApiToken(user.id, "default");
    expect(a.expiresAt.getTime() - before).toBeGreaterThanOrEqual(90 * 86_400_000 - 1000);
    expect(a.expiresAt.getTime() - before).toBeLessThanOrEqual(90 * 86_400_000 + 5000);
    const b = await createApiToken(user.id, "short", { expiresInDays: 1 });
    expect(b.expiresAt.getTime() - before).toBeLessThanOrEqual(86_400_000 + 5000);
    await expect(createApiToken(user.id, "never", { expiresInDays: 366 })).rejects.toThrow();
    await expect(createApiToken(user.id, "none", { expiresInDays: 0 })).rejects.toThrow();
  });

  it("stop working once expired", async () => {
    const user = await aUser();
    const { id, token } = await createApiToken(user.id, "old");
    await getDb().update(apiTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiTokens.id, id));
    expect(await userForApiToken(token)).toBeUndefined();
    expect(await me(token)).toBe(401);
  });

  it("cannot mint tokens: POST /api/v1/tokens with a token is a 403 and creates nothing", async () => {
    const user = await aUser("admin");
    const { token } = await createApiToken(user.id, "script");
    const res = await tokensRoute(token, { method: "POST", body: { name: "minted" } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    const rows = await getDb().select().from(apiTokens).where(eq(apiTokens.userId, user.id));
    expect(rows.map((r) => r.name)).toEqual(["script"]);
  });

  it("are listed to their owner without their secrets, with status, expiry and last use", async () => {
    const user = await aUser();
    const used = await createApiToken(user.id, "used");
    const revoked = await createApiToken(user.id, "revoked");
    await getDb().update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, revoked.id));
    expect(await me(used.token)).toBe(200);
    // last use is written in the background, at most once a minute per token
    let lastUsedAt: Date | null = null;
    for (let i = 0; i < 50 && !lastUsedAt; i++) {
      await new Promise((r) => setTimeout(r, 20));
      [{ lastUsedAt }] = (await getDb().select({ lastUsedAt: apiTokens.lastUsedAt }).from(apiTokens).where(eq(apiTokens.id, used.id))) as [{ lastUsedAt: Date | null }];
    }
    expect(lastUsedAt).not.toBeNull();

    const res = await tokensRoute(used.token);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(used.token.slice(10));
    expect(text).not.toContain("tokenHash");
    const list = JSON.parse(text) as PublicToken[];
    expect(list.map((t) => [t.name, t.status])).toEqual([
      ["revoked", "revoked"],
      ["used", "active"],
    ]);
    expect(list.find((t) => t.name === "used")!.lastUsedAt).toBe(lastUsedAt!.toISOString());
  });

  it("last use is written at most once a minute per token", async () => {
    const user = await aUser();
    const { id, token } = await createApiToken(user.id, "busy");
    const recent = new Date(Date.now() - 30_000);
    await getDb().update(apiTokens).set({ lastUsedAt: recent }).where(eq(apiTokens.id, id));
    for (let i = 0; i < 3; i++) expect(await me(token)).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const [row] = await getDb().select().from(apiTokens).where(eq(apiTokens.id, id));
    expect(row!.lastUsedAt!.getTime()).toBe(recent.getTime());
  });

  it("are revoked by their owner (404 for someone else's) or an admin; the next request is refused", async () => {
    const owner = await aUser();
    const other = await aUser();
    const admin = await aUser("admin");
    const mine = await createApiToken(owner.id, "mine");
    const second = await createApiToken(owner.id, "second");
    const theirs = await createApiToken(other.id, "theirs");
    const adminToken = await createApiToken(admin.id, "admin");

    expect(await me(theirs.token)).toBe(200); // cached from here on
    expect((await revokeRoute(mine.token, theirs.id)).status).toBe(404);
    expect(await me(theirs.token)).toBe(200);

    expect((await revokeRoute(mine.token, second.id)).status).toBe(204);
    expect(await me(second.token)).toBe(401);
    expect(await me(mine.token)).toBe(200);

    expect((await revokeRoute(adminToken.token, theirs.id)).status).toBe(204);
    expect(await me(theirs.token)).toBe(401);
    expect((await revokeRoute(adminToken.token, "not-a-uuid")).status).toBe(404);
  });

  it("only admins list another user's tokens", async () => {
    const user = await aUser();
    const admin = await aUser("admin");
    const { token } = await createApiToken(user.id, "mine");
    const adminToken = (await createApiToken(admin.id, "admin")).token;
    expect((await tokensRoute(token, { query: `?userId=${admin.id}` })).status).toBe(403);
    const listed = await tokensRoute(adminToken, { query: `?userId=${user.id}` });
    expect(((await listed.json()) as PublicToken[]).map((t) => t.name)).toEqual(["mine"]);
    expect((await tokensRoute(adminToken, { query: "?userId=nope" })).status).toBe(400);
  });

  it("stop at once in this process when their user is disabled, though cached", async () => {
    await waitUntilListening();
    const user = await aUser();
    const { token } = await createApiToken(user.id, "cached");
    expect(await me(token)).toBe(200);
    expect(await me(token)).toBe(200);
    await setUserDisabled(user.id, true);
    expect(await me(token)).toBe(401);
  });

  it("revoked by another process (the CLI) are refused here as soon as PostgreSQL delivers the notification", async () => {
    await waitUntilListening();
    const user = await aUser();
    const cached = await createApiToken(user.id, "cached");
    expect(await userForApiToken(cached.token)).toBeDefined(); // now in this process's cache

    // Control: a change that bypasses the notification is not seen while cached, which is
    // what makes the notification necessary.
    const other = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await other.connect();
    try {
      await other.query("update api_tokens set revoked_at = now() where id = $1", [cached.id]);
      expect(await userForApiToken(cached.token)).toBeDefined();
      await other.query("update api_tokens set revoked_at = null where id = $1", [cached.id]);
    } finally {
      await other.end();
    }

    const bin = path.resolve(import.meta.dirname, "../../bin/arbiter.mjs");
    const { stdout } = await promisify(execFile)(process.execPath, [bin, "token", "revoke", "--id", cached.id], { env: { ...process.env }, timeout: 60_000 });
    expect(stdout).toContain("revoked");
    // The CLI has committed and exited; the notification reaches this process's listener
    // within milliseconds. Wait for that (at most 100 ms), never for the 5 s cache lifetime.
    const started = Date.now();
    while ((await userForApiToken(cached.token)) && Date.now() - started < 100) await new Promise((r) => setTimeout(r, 5));
    expect(await userForApiToken(cached.token)).toBeUndefined();
  });
});
