// `npm start` keeps the platform up (scripts/start.ts, scripts/supervisor.ts): the real
// start script in a child process, on an embedded database of its own; the web process
// killed with SIGKILL comes back and serves, so do the trainer and PostgreSQL; SIGTERM to
// the start script stops every process within its bound. `--dev` (next dev) so that the
// test needs no production build.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "@/lib/db/embedded";

const root = path.resolve(import.meta.dirname, "..", "..");
const dataDir = mkdtempSync(path.join(tmpdir(), "arbiter-start-"));
let start: ChildProcess | undefined;

afterAll(() => {
  if (start?.pid && start.exitCode === null) {
    try {
      process.kill(start.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** This process's environment without Arbiter's settings, which other test files in this worker may have left set. */
function outsideSettings(): NodeJS.ProcessEnv {
  const ours = /^(ARBITER_|DB_|IMPORT_|JSON_BODY_|SIGNIN_|TRAINER_|NEXTAUTH_|OAUTH_|OIDC_|GITHUB_|ADMIN_|EMBEDDED_PG_|TRUSTED_PROXIES$|DATABASE_URL$|PORT$|HOST$)/;
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !ours.test(k))) as NodeJS.ProcessEnv;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs: number, log: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${log().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function healthStatus(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5_000) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return undefined;
  }
}

describe("npm start's supervisor", () => {
  it("restarts a killed web app, trainer and PostgreSQL with a word on the console, and stops everything within its bound on SIGTERM", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    start = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts", "start.ts"), "--dev"], {
      cwd: root,
      env: {
        ...outsideSettings(),
        ARBITER_DATA_DIR: dataDir,
        DATABASE_URL: "",
        PORT: String(port),
        HOST: "127.0.0.1",
        NEXTAUTH_URL: url,
        ADMIN_PASSWORD: "supervisor-test-password",
        ARBITER_AUTO_ROUND_INTERVAL_MS: "0",
        TRAINER_HEARTBEAT_MS: "1000",
        NEXT_TELEMETRY_DISABLED: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    start.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    start.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    const log = () => output;
    const lineMatch = (re: RegExp) => () => re.exec(output) ?? undefined;

    const pids = await until("the start script's pids", lineMatch(/web app pid (\d+), trainer pid (\d+), PostgreSQL pid (\d+)/), 120_000, log);
    const [web, trainer, postgres] = [Number(pids[1]), Number(pids[2]), Number(pids[3])];
    await until("the web app to serve", async () => (await healthStatus(url)) === 200 || undefined, 240_000, log);

    // (other processes' lines may come between the supervisor's two lines about one restart)
    // 1. the web app, killed
    process.kill(web, "SIGKILL");
    await until("the web app's exit said", lineMatch(/web app stopped unexpectedly \(killed by SIGKILL\); restarting in 1 s \(restart 1\)/), 30_000, log);
    const restarted = await until("the web app's restart", lineMatch(/web app restarted \(pid (\d+)\)/), 30_000, log);
    const web2 = Number(restarted[1]);
    expect(web2).not.toBe(web);
    await until("the restarted web app to serve", async () => (await healthStatus(url)) === 200 || undefined, 240_000, log);
    await until("'serving again'", lineMatch(/web app is serving again/), 30_000, log);

    // 2. the trainer, killed
    process.kill(trainer, "SIGKILL");
    await until("the trainer's exit said", lineMatch(/trainer stopped unexpectedly \(killed by SIGKILL\); restarting in 1 s \(restart 1\)/), 30_000, log);
    const trainerBack = await until("the trainer's restart", lineMatch(/trainer restarted \(pid (\d+)\)/), 30_000, log);
    const trainer2 = Number(trainerBack[1]);

    // 3. PostgreSQL, stopped under the platform (a fast shutdown, as by pg_ctl stop)
    process.kill(postgres, "SIGINT");
    await until("PostgreSQL's exit said", lineMatch(/PostgreSQL stopped unexpectedly \(exit code \d+\); restarting in 1 s/), 60_000, log);
    const pgBack = await until("PostgreSQL's restart", lineMatch(/PostgreSQL restarted \(pid (\d+)\)/), 60_000, log);
    const postgres2 = Number(pgBack[1]);
    // the web app reconnects: health is 200 (ok or degraded) with the database answering
    await until(
      "health with the database back",
      async () => {
        const res = await fetch(`${url}/api/health`).catch(() => undefined);
        if (!res || res.status !== 200) return undefined;
        return ((await res.json()) as { db: string }).db === "ok" || undefined;
      },
      60_000,
      log,
    );

    // 4. SIGTERM: everything gone within the bound (30 s)
    const stopAt = Date.now();
    const exited = new Promise<number | null>((resolve) => start!.once("exit", (code) => resolve(code)));
    start.kill("SIGTERM");
    const code = await exited;
    const took = Date.now() - stopAt;
    expect(code, log()).toBe(0);
    expect(took).toBeLessThan(30_000);
    expect(output).toMatch(/\[arbiter\] stopped/);
    await until("every child to be gone", () => [web2, trainer2, postgres2].every((pid) => !alive(pid)) || undefined, 5_000, log);
    expect(await healthStatus(url)).toBeUndefined();
  }, 600_000);
});
