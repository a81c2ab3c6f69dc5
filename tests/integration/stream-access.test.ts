import "./next-request-scope"; // before anything that loads next/
// Long answers end when their caller's access does: a live round-event stream, opened by
// an admin's token or session, is cut off when the token is revoked (here or in another
// process) or the session ends, and not by a change to someone else's access.
import { sql } from "drizzle-orm";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { GET as eventsRoute } from "@/app/api/v1/rounds/[id]/events/route";
import { createApiToken, revokeApiToken, userForApiToken } from "@/lib/auth/api-tokens";
import { ACCESS_CHANNEL, isListeningForAccessChanges, onAccessChange } from "@/lib/cache/access-cache";
import { getDb } from "@/lib/db/client";
import { rounds } from "@/lib/db/schema";
import { changeOwnPassword } from "@/lib/users/passwords";
import { createUser } from "@/lib/users/users";
import { STREAM_RECHECK_MS } from "@/lib/api/access-bound-stream";
import { callRoute, sessionCookie } from "./browser-session";
import { aProject } from "./fixtures";
import { uniqueEmail } from "./helpers";

const PASSWORD = "an admin's password here";

async function anAdmin() {
  return (await createUser({ email: uniqueEmail("stream-admin"), role: "admin", password: PASSWORD })).user;
}

async function aRunningRound(): Promise<string> {
  const project = await aProject({ mode: "pairwise" });
  const [round] = await getDb()
    .insert(rounds)
    .values({ projectId: project.id, number: 1, trigger: "admin", status: "running", phase: "reward_model", judgmentWatermark: new Date() })
    .returning({ id: rounds.id });
  return round!.id;
}

async function openStream(caller: { token: string } | { cookie: string }, roundId: string) {
  const res = await callRoute(eventsRoute, caller, { path: `/api/v1/rounds/${roundId}/events`, params: { id: roundId } });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  expect(first).toMatch(/^event: status/);
  return reader;
}

/** How the stream ends within `ms`: "cut" (an error), "open" (nothing happened), or "ended". */
async function fateWithin(reader: ReadableStreamDefaultReader<Uint8Array>, ms: number): Promise<"cut" | "open" | "ended"> {
  const timeout = new Promise<"open">((r) => setTimeout(() => r("open"), ms));
  const read = reader.read().then(
    (r) => (r.done ? ("ended" as const) : ("open" as const)),
    () => "cut" as const,
  );
  return Promise.race([read, timeout]);
}

async function listening(): Promise<void> {
  const off = onAccessChange(() => {}); // starts the listener
  for (let i = 0; i < 100 && !isListeningForAccessChanges(); i++) await new Promise((r) => setTimeout(r, 20));
  off();
  expect(isListeningForAccessChanges()).toBe(true);
}

describe(`long answers end with their caller's access (at once, not after the ${STREAM_RECHECK_MS / 1000} s re-check)`, () => {
  it("a token revoked in another process cuts its event stream off; another token's revocation does not", async () => {
    await listening();
    const admin = await anAdmin();
    const { id, token } = await createApiToken(admin.id, "watcher");
    const reader = await openStream({ token }, await aRunningRound());
    const other = await createApiToken(admin.id, "unrelated");
    await revokeApiToken(other.id);
    expect(await fateWithin(reader, 500)).toBe("open");

    const elsewhere = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await elsewhere.connect();
    try {
      // as another web process revokes: the row and the notification, nothing in this process's memory
      await elsewhere.query("begin");
      await elsewhere.query("update api_tokens set revoked_at = now() where id = $1", [id]);
      await elsewhere.query(`select pg_notify('${ACCESS_CHANNEL}', '')`);
      await elsewhere.query("commit");
    } finally {
      await elsewhere.end();
    }
    expect(await fateWithin(reader, 3000)).toBe("cut");
    expect(await userForApiToken(token)).toBeUndefined();
  });

  it("a session ended (a password change) cuts its event stream off", async () => {
    await listening();
    const admin = await anAdmin();
    const reader = await openStream({ cookie: await sessionCookie(admin) }, await aRunningRound());
    expect(await fateWithin(reader, 300)).toBe("open");
    await changeOwnPassword(admin.id, { currentPassword: PASSWORD, newPassword: "another admin password" }, "192.0.2.77");
    expect(await fateWithin(reader, 3000)).toBe("cut");
  });

  it("a stream whose caller keeps access keeps running", async () => {
    const admin = await anAdmin();
    const { token } = await createApiToken(admin.id, "keeper");
    const roundId = await aRunningRound();
    const reader = await openStream({ token }, roundId);
    await getDb().execute(sql`select pg_notify(${ACCESS_CHANNEL}, '')`);
    expect(await fateWithin(reader, 500)).toBe("open");
    await reader.cancel();
  });
});
