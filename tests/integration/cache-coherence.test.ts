// Every in-process cache of access and settings stays coherent across processes
// (lib/cache/access-cache.ts; the table in docs/ARCHITECTURE.md, "Several processes"): a
// second process (peers/cache-peer.ts) holds its own caches and LISTEN connection, as
// another web process on the same database does; a change made here reaches its lookups
// within NOTIFY_BOUND_MS, below every cache's TTL (2 s memberships, 5 s tokens), so a
// lookup that waited out the TTL could not pass. Each test first shows the peer's answer is
// cached (a change made behind the notification's back is not seen).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { createInterface } from "node:readline";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createApiToken, revokeApiToken } from "@/lib/auth/api-tokens";
import { getDb } from "@/lib/db/client";
import { removeMember } from "@/lib/projects/remove-member";
import { addMembers, updateProject } from "@/lib/projects/projects";
import { setUserDisabled } from "@/lib/users/users";
import { annotators, aProject } from "./fixtures";

/** How soon a change must show in the other process: well under the shortest TTL (2 s). */
const NOTIFY_BOUND_MS = 1_000;

const root = path.resolve(import.meta.dirname, "..", "..");
const appName = `arbiter-cache-peer-${randomBytes(4).toString("hex")}`;

class Peer {
  private next = 0;
  private readonly pending = new Map<number, (v: { value?: unknown; error?: string }) => void>();
  readonly ready: Promise<void>;
  constructor(readonly child: ChildProcess) {
    let ready!: () => void;
    this.ready = new Promise((r) => (ready = r));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const msg = JSON.parse(line) as { id?: number; ready?: boolean; value?: unknown; error?: string };
      if (msg.ready) return ready();
      this.pending.get(msg.id!)?.(msg);
      this.pending.delete(msg.id!);
    });
  }
  async ask<T>(op: Record<string, unknown>): Promise<T> {
    const id = this.next++;
    const reply = new Promise<{ value?: unknown; error?: string }>((r) => this.pending.set(id, r));
    this.child.stdin!.write(`${JSON.stringify({ id, ...op })}\n`);
    const msg = await reply;
    if (msg.error) throw new Error(`peer: ${msg.error}`);
    return msg.value as T;
  }
  /** Until the peer listens (it caches nothing before), then one lookup to fill its cache. */
  async cached<T>(op: Record<string, unknown>): Promise<T> {
    await this.ask(op); // starts its listener
    await until("the peer to listen", async () => (await this.ask<boolean>({ op: "listening" })) || undefined, 10_000);
    return this.ask<T>(op);
  }
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The peer's answer to `op` once it equals `want`, and how long after `since` that was; fails after NOTIFY_BOUND_MS. */
async function seenWithinBound(peer: Peer, op: Record<string, unknown>, want: unknown, since: number): Promise<number> {
  let last: unknown;
  while (Date.now() - since < NOTIFY_BOUND_MS) {
    last = await peer.ask(op);
    if (JSON.stringify(last) === JSON.stringify(want)) return Date.now() - since;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the other process still answered ${JSON.stringify(last)} ${NOTIFY_BOUND_MS} ms after the change (wanted ${JSON.stringify(want)})`);
}

let peer: Peer;
let stderr = "";

beforeAll(async () => {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "peers", "cache-peer.ts")], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: inject("databaseUrl"), PGAPPNAME: appName, DB_LISTEN_CHECK_MS: "3600000" }, // no check: its listener's last query stays the LISTEN, found below
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  peer = new Peer(child);
  await Promise.race([peer.ready, new Promise((_, reject) => setTimeout(() => reject(new Error(`the peer did not start: ${stderr}`)), 60_000))]);
}, 90_000);

afterAll(async () => {
  peer?.child.stdin!.end();
  await new Promise((r) => setTimeout(r, 200));
  if (peer?.child.exitCode === null) peer.child.kill("SIGKILL");
});

describe("caches across two processes", () => {
  it("a token revoked here is refused there", async () => {
    const project = await aProject();
    const [user] = await annotators(project, 1);
    const behindItsBack = await createApiToken(user!.id, "a");
    const revoked = await createApiToken(user!.id, "b");
    expect(await peer.cached({ op: "token", token: behindItsBack.token })).toBe(user!.id);
    expect(await peer.ask({ op: "token", token: revoked.token })).toBe(user!.id);
    // cached: a revocation without the notification is not seen within the TTL
    await getDb().execute(sql`update api_tokens set revoked_at = now() where id = ${behindItsBack.id}`);
    expect(await peer.ask({ op: "token", token: behindItsBack.token })).toBe(user!.id);

    const at = Date.now();
    expect(await revokeApiToken(revoked.id)).toBe(true);
    await seenWithinBound(peer, { op: "token", token: revoked.token }, null, at);
  });

  it("a user disabled here loses their token there", async () => {
    const project = await aProject();
    const [user] = await annotators(project, 1);
    const { token } = await createApiToken(user!.id, "a");
    expect(await peer.cached({ op: "token", token })).toBe(user!.id);
    const at = Date.now();
    await setUserDisabled(user!.id, true);
    await seenWithinBound(peer, { op: "token", token }, null, at);
  });

  it("project settings edited here are what the other process validates against", async () => {
    const project = await aProject({ requireRationale: false });
    const [user] = await annotators(project, 1);
    const op = { op: "project", projectId: project.id, userId: user!.id };
    expect(await peer.cached(op)).toEqual({ requireRationale: false, memberGroup: null });
    await getDb().execute(sql`update projects set instructions = 'behind its back', require_rationale = true where id = ${project.id}`);
    expect(await peer.ask(op)).toEqual({ requireRationale: false, memberGroup: null }); // cached
    await getDb().execute(sql`update projects set require_rationale = false where id = ${project.id}`);

    const at = Date.now();
    await updateProject(project.id, { requireRationale: true });
    await seenWithinBound(peer, op, { requireRationale: true, memberGroup: null }, at);
  });

  it("a member's new group and a member's removal show there", async () => {
    const project = await aProject();
    const [user] = await annotators(project, 1);
    const op = { op: "project", projectId: project.id, userId: user!.id };
    expect(await peer.cached(op)).toEqual({ requireRationale: false, memberGroup: null });

    let at = Date.now();
    await addMembers(project.id, [user!.email], "experts");
    await seenWithinBound(peer, op, { requireRationale: false, memberGroup: "experts" }, at);

    at = Date.now();
    await removeMember(project.id, user!.id);
    await seenWithinBound(peer, op, { error: "forbidden" }, at);
  });

  it("losing its listening connection empties the other process's caches (a notification may have been missed)", async () => {
    const project = await aProject({ requireRationale: false });
    const [user] = await annotators(project, 1);
    const op = { op: "project", projectId: project.id, userId: user!.id };
    expect(await peer.cached(op)).toEqual({ requireRationale: false, memberGroup: null });
    const { rows } = await getDb().execute<{ n: number }>(
      sql`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = ${appName} and query ilike 'listen %'`,
    );
    expect(rows[0]!.n).toBe(1);
    await until("the peer to notice", async () => ((await peer.ask<boolean>({ op: "listening" })) ? undefined : true), 5_000);
    // a change whose notification went nowhere: the peer's next lookup reads it anyway
    await getDb().execute(sql`update projects set require_rationale = true where id = ${project.id}`);
    expect(await peer.ask(op)).toEqual({ requireRationale: true, memberGroup: null });
    // and it listens again within a second or so
    await until("the peer to listen again", async () => (await peer.ask<boolean>({ op: "listening" })) || undefined, 10_000);
  });
});
