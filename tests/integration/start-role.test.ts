// ARBITER_ROLE (scripts/start.ts, scripts/start-role.ts): the real start script against the
// test database. A trainer-only start registers a trainer and serves no web app; a web
// start on a shared database without NEXTAUTH_SECRET stops before it opens anything.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { and, eq, isNull } from "drizzle-orm";
import { afterAll, describe, expect, inject, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { freePort } from "@/lib/db/embedded";
import { trainerWorkers } from "@/lib/db/schema";

const root = path.resolve(import.meta.dirname, "..", "..");
const dataDir = mkdtempSync(path.join(tmpdir(), "arbiter-role-"));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) {
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** This process's environment without Arbiter's settings, which other test files in this worker may have left set. */
function outsideSettings(): NodeJS.ProcessEnv {
  const ours = /^(ARBITER_|DB_|IMPORT_|JSON_BODY_|SIGNIN_|TRAINER_|NEXTAUTH_|OAUTH_|OIDC_|GITHUB_|ADMIN_|EMBEDDED_PG_|TRUSTED_PROXIES$|DATABASE_URL$|PORT$|HOST$)/;
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !ours.test(k))) as NodeJS.ProcessEnv;
}

function startScript(extra: Record<string, string>, args: string[] = []): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts", "start.ts"), ...args], {
    cwd: root,
    env: { ...outsideSettings(), ARBITER_DATA_DIR: dataDir, DATABASE_URL: inject("databaseUrl"), HOST: "127.0.0.1", ARBITER_AUTO_ROUND_INTERVAL_MS: "0", NEXT_TELEMETRY_DISABLED: "1", ...extra },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let text = "";
  child.stdout!.on("data", (d: Buffer) => (text += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (text += d.toString()));
  return { child, output: () => text };
}

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs: number, log: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${log().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const exitOf = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code))));

describe("ARBITER_ROLE", () => {
  it("trainer: registers a live trainer in trainer_workers and starts no web app", async () => {
    const port = await freePort();
    const { child, output } = startScript({ ARBITER_ROLE: "trainer", PORT: String(port), TRAINER_RPC_KEY: "k".repeat(40), TRAINER_HEARTBEAT_MS: "500" });
    const pid = Number((await until("the trainer's pid", () => /trainer pid (\d+)/.exec(output()) ?? undefined, 60_000, output))[1]);
    const row = await until(
      "the trainer's row",
      async () => (await getDb().select().from(trainerWorkers).where(and(eq(trainerWorkers.pid, pid), isNull(trainerWorkers.stoppedAt))))[0],
      120_000,
      output,
    );
    expect(row.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/); // its scoring server, with the key it was given
    expect(output()).toMatch(/role: trainer \(trainer only\)/);
    expect(output()).not.toMatch(/web app pid/);
    // nothing answers on the web port, and no build was started
    await expect(fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    expect(output()).not.toMatch(/building the web app/);

    child.kill("SIGTERM");
    expect(await exitOf(child)).toBe(0);
    const [after] = await getDb().select().from(trainerWorkers).where(eq(trainerWorkers.id, row.id));
    expect(after!.stoppedAt).not.toBeNull();
  }, 240_000);

  it("web: serves the web app and starts no trainer, waiting for it at its own address when NEXTAUTH_URL is a balancer's", async () => {
    const port = await freePort();
    const startedAt = new Date();
    // --dev (next dev): no production build in a test
    const { child, output } = startScript(
      { ARBITER_ROLE: "web", PORT: String(port), NEXTAUTH_SECRET: "s".repeat(40), NEXTAUTH_URL: "http://balancer.invalid:8080", ADMIN_PASSWORD: "role-test-password" },
      ["--dev"],
    );
    await until("the web app to be ready", () => (/Arbiter is running at http:\/\/balancer\.invalid:8080/.test(output()) ? true : undefined), 240_000, output);
    const health = await fetch(`http://127.0.0.1:${port}/api/health`);
    expect(health.status).toBe(200);
    expect(output()).toMatch(/role: web \(web app only\)/);
    expect(output()).not.toMatch(/trainer pid/);
    // no trainer of this start registered
    const rows = await getDb().select().from(trainerWorkers).where(and(isNull(trainerWorkers.stoppedAt)));
    expect(rows.filter((r) => r.startedAt >= startedAt)).toEqual([]);
    child.kill("SIGTERM");
    expect(await exitOf(child)).toBe(0);
  }, 300_000);

  it("web on a shared database without NEXTAUTH_SECRET: stops at once and says why", async () => {
    const { child, output } = startScript({ ARBITER_ROLE: "web", PORT: String(await freePort()) });
    expect(await exitOf(child)).toBe(1);
    expect(output()).toMatch(/ARBITER_ROLE=web with DATABASE_URL needs NEXTAUTH_SECRET/);
    expect(output()).not.toMatch(/PostgreSQL from DATABASE_URL/); // before the database was opened
  }, 60_000);

  it("trainer on a shared database without TRAINER_RPC_KEY or NEXTAUTH_SECRET: stops at once", async () => {
    const { child, output } = startScript({ ARBITER_ROLE: "trainer" });
    expect(await exitOf(child)).toBe(1);
    expect(output()).toMatch(/ARBITER_ROLE=trainer with DATABASE_URL needs TRAINER_RPC_KEY/);
  }, 60_000);
});
