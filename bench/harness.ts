// Shared bits for HTTP benchmarks: start the real platform on a scratch database, time
// requests, print one JSON line per figure.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export type Figure = { bench: string; metric: string; value: number; unit: string };

export function report(f: Figure): void {
  console.log(JSON.stringify({ ...f, value: Number(f.value.toPrecision(4)) }));
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await fn();
  return [out, performance.now() - t0];
}

/** CPU time (user + system) in ms of a process or thread from its `/proc/…/stat` (Linux); 0 once it is gone. */
export function procCpuMs(statPath: string): number {
  try {
    const s = readFileSync(statPath, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10; // utime, stime in USER_HZ ticks of 10 ms
  } catch {
    return 0;
  }
}

/**
 * CPU time in ms that a PostgreSQL server has used so far, exited backends included: the
 * postmaster's own and its reaped children's (cutime, cstime) plus its live children's.
 * Differences over a run give the database's share of the work whatever else the machine runs;
 * read the end after `settlePostgres`, so that a backend that just exited has been reaped.
 */
export function postgresCpuMs(pgDataDir: string): number {
  const postmaster = Number(readFileSync(path.join(pgDataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  const fields = (pid: number | string) => {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2).split(" ");
  };
  const own = fields(postmaster);
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]); // utime, stime, cutime, cstime
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const f = fields(pid);
      if (Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone since the listing
    }
  }
  return ticks * 10; // USER_HZ ticks of 10 ms
}

/** Half a second for the postmaster to reap backends that just closed (their CPU moves to its cutime then). */
export const settlePostgres = () => new Promise((resolve) => setTimeout(resolve, 500));

/** `clients` loops calling `once` until `seconds` have passed; returns how many calls answered true. */
export async function closedLoop(seconds: number, clients: number, once: (client: number) => Promise<boolean>): Promise<number> {
  let done = 0;
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (Date.now() < deadline) if (await once(c)) done++;
    }),
  );
  return done;
}

export type Platform = { url: string; dataDir: string; stop(): Promise<void> };

/** `npm start`'s own start script on a fresh embedded database and a scratch port. */
export async function startPlatform(port: number, extraEnv: Record<string, string> = {}): Promise<Platform> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "arbiter-bench-"));
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    cwd: path.resolve(import.meta.dirname, ".."),
    env: { ...process.env, ARBITER_DATA_DIR: dataDir, DATABASE_URL: "", PORT: String(port), NEXTAUTH_URL: url, ARBITER_BENCH: "1", ...extraEnv },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      if (process.env.BENCH_PLATFORM_LOG) process.stderr.write(d); // with ARBITER_DEBUG=1, PostgreSQL's log too
      if (d.toString().includes("Arbiter is running")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`platform exited with ${code}`)));
  });
  return {
    url,
    dataDir,
    stop: () =>
      new Promise((resolve) => {
        child.on("exit", () => {
          rmSync(dataDir, { recursive: true, force: true });
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}
