// Keeps `npm start`'s processes running (scripts/start.ts). A child (the web app, the
// trainer) that exits when it was not asked to is started again after a delay that doubles
// with each crash in a row (1 s, 2 s, 4 s … 30 s at most) and starts over once it has run
// a minute; every exit and restart is said on the console. Each child leads its own
// process group, so what it started itself (`next dev` forks its server) goes with it: the
// group is killed before a restart, which frees the port for the new process.
//
// A child with a health check (the web app: GET /api/health) is also watched while it
// runs: once it has answered once (or its start-up allowance is spent), that many checks
// in a row without an answer — hung, not merely reporting a database that is down — and it
// is killed (SIGKILL to its group), said on the console, and restarted like a crash.
//
// Stopping is bounded: SIGTERM to every child's group, SIGKILL to whatever is left after
// the grace period.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import type { Env } from "@/lib/config/env";
import type { EmbeddedDatabase } from "@/lib/db/embedded";
import { localWebUrl } from "./start-role";

export type Backoff = { initialMs: number; maxMs: number; resetAfterMs: number };
export const DEFAULT_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 30_000, resetAfterMs: 60_000 };

export type ChildSpec = {
  /** how the console names it: "web app", "trainer" */
  name: string;
  command: string;
  args: string[];
  options: Omit<SpawnOptions, "detached">;
  /** after a restart: resolves once the child serves again (the web app's health), for the console */
  ready?: () => Promise<void>;
  /** watches a running child for a hang (HealthWatch) */
  health?: HealthWatch;
};

export type HealthWatch = {
  /** true when the child answered (any HTTP answer: a 503 about the database is an answer); false or a throw when it did not within its own timeout */
  check: () => Promise<boolean>;
  everyMs: number;
  /** checks in a row without an answer that make the child hung */
  failures: number;
  /** checks start counting once the child has answered once, or after this long from its start */
  startupMs: number;
};

type Supervised = {
  spec: ChildSpec;
  child: ChildProcess;
  startedAt: number;
  crashes: number;
  restarts: number;
  timer?: ReturnType<typeof setTimeout>;
  healthTimer?: ReturnType<typeof setTimeout>;
};

/** The delay before restart number `crashes + 1` in a row. */
export function restartDelayMs(crashes: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** crashes);
}

/** Signals a whole process group; a group that is gone already is not an error. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* ESRCH: nothing left in it */
  }
}

const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

export class Supervisor {
  private readonly supervised: Supervised[] = [];
  private stopping = false;

  constructor(private readonly opts: { say: (line: string) => void; backoff?: Backoff }) {}

  /** Starts the child and keeps it running until stop(). */
  run(spec: ChildSpec): ChildProcess {
    const entry: Supervised = { spec, child: this.spawn(spec), startedAt: Date.now(), crashes: 0, restarts: 0 };
    this.supervised.push(entry);
    this.watch(entry);
    this.watchHealth(entry);
    return entry.child;
  }

  /** The named child's current process (a new one after each restart). */
  current(name: string): ChildProcess | undefined {
    return this.supervised.find((e) => e.spec.name === name)?.child;
  }

  private spawn(spec: ChildSpec): ChildProcess {
    return spawn(spec.command, spec.args, { ...spec.options, detached: true });
  }

  private watch(entry: Supervised): void {
    const child = entry.child;
    child.once("exit", (code, signal) => {
      if (this.stopping || entry.child !== child) return;
      signalGroup(child, "SIGKILL"); // anything it left behind (a forked server holding the port)
      const backoff = this.opts.backoff ?? DEFAULT_BACKOFF;
      if (Date.now() - entry.startedAt >= backoff.resetAfterMs) entry.crashes = 0;
      const delay = restartDelayMs(entry.crashes, backoff);
      entry.crashes++;
      entry.restarts++;
      const how = signal ? `killed by ${signal}` : `exit code ${code}`;
      this.opts.say(`${entry.spec.name} stopped unexpectedly (${how}); restarting in ${delay / 1000} s (restart ${entry.restarts})`);
      entry.timer = setTimeout(() => {
        if (this.stopping) return;
        entry.child = this.spawn(entry.spec);
        entry.startedAt = Date.now();
        this.opts.say(`${entry.spec.name} restarted (pid ${entry.child.pid})`);
        this.watch(entry);
        this.watchHealth(entry);
        const restarted = entry.child;
        entry.spec
          .ready?.()
          .then(() => entry.child === restarted && running(restarted) && this.opts.say(`${entry.spec.name} is serving again`))
          .catch(() => {});
      }, delay);
    });
  }

  /** Polls the child's health while this process of it runs; a hang is killed, and the exit watcher restarts it. */
  private watchHealth(entry: Supervised): void {
    const watch = entry.spec.health;
    if (!watch) return;
    const child = entry.child;
    const since = Date.now();
    let answered = false;
    let missed = 0;
    const current = () => !this.stopping && entry.child === child && running(child);
    const tick = async () => {
      if (!current()) return;
      const ok = await watch.check().catch(() => false);
      if (!current()) return;
      if (ok) {
        answered = true;
        missed = 0;
      } else if (answered || Date.now() - since >= watch.startupMs) {
        missed++;
        if (missed >= watch.failures) {
          this.opts.say(`${entry.spec.name} did not answer its health check ${missed} times in a row (every ${watch.everyMs / 1000} s); it is hung: killing it (SIGKILL) to restart it`);
          signalGroup(child, "SIGKILL"); // the exit watcher says so and restarts it
          return;
        }
      }
      entry.healthTimer = setTimeout(() => void tick(), watch.everyMs);
    };
    entry.healthTimer = setTimeout(() => void tick(), watch.everyMs);
  }

  /** SIGTERM to every child's group; SIGKILL after `graceMs` to those still running. Resolves when all have exited. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const e of this.supervised) {
      clearTimeout(e.timer);
      clearTimeout(e.healthTimer);
    }
    const live = this.supervised.map((e) => e.child).filter(running);
    for (const c of live) signalGroup(c, "SIGTERM");
    await Promise.all(
      live.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (!running(c)) return resolve();
            const force = setTimeout(() => {
              this.opts.say(`${this.supervised.find((e) => e.child === c)?.spec.name ?? "a child"} did not stop within ${graceMs / 1000} s; killing it`);
              signalGroup(c, "SIGKILL");
            }, graceMs);
            c.once("exit", () => {
              clearTimeout(force);
              signalGroup(c, "SIGKILL"); // its own children, if it left any
              resolve();
            });
          }),
      ),
    );
  }
}

/**
 * The embedded PostgreSQL a start script started is restarted, on the same port and data,
 * when it exits unexpectedly (crashed, killed, or stopped by hand), with the children's
 * backoff; the web app and trainer answer 503 and reconnect meanwhile. npm start and the
 * short chaos test (tests/integration/chaos-short.test.ts) both use this.
 */
export function superviseEmbeddedDatabase(embedded: EmbeddedDatabase, opts: { say: (line: string) => void; stopping: () => boolean; backoff?: Backoff }): void {
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  let crashes = 0;
  let startedAt = Date.now();
  const restart = async () => {
    if (opts.stopping()) return;
    try {
      await embedded.restart();
      startedAt = Date.now();
      opts.say(`PostgreSQL restarted (pid ${embedded.pid()})`);
    } catch (err) {
      const delay = restartDelayMs(crashes++, backoff);
      opts.say(`PostgreSQL did not start (${err instanceof Error ? err.message : String(err)}); trying again in ${delay / 1000} s`);
      setTimeout(() => void restart(), delay);
    }
  };
  embedded.onUnexpectedExit((code, signal) => {
    if (opts.stopping()) return;
    if (Date.now() - startedAt >= backoff.resetAfterMs) crashes = 0;
    const delay = restartDelayMs(crashes++, backoff);
    opts.say(`PostgreSQL stopped unexpectedly (${signal ? `killed by ${signal}` : `exit code ${code}`}); restarting in ${delay / 1000} s`);
    setTimeout(() => void restart(), delay);
  });
}

/**
 * The web app's hang watch from the settings: GET /api/health on the address it listens on
 * (not NEXTAUTH_URL, which may be a proxy in front), any HTTP answer counting as alive.
 * Undefined when ARBITER_WEB_HEALTH_INTERVAL_MS is 0.
 */
export function webHealthWatch(
  config: Pick<Env, "HOST" | "PORT" | "ARBITER_WEB_HEALTH_INTERVAL_MS" | "ARBITER_WEB_HEALTH_TIMEOUT_MS" | "ARBITER_WEB_HEALTH_FAILURES">,
  startupMs: number,
): HealthWatch | undefined {
  if (config.ARBITER_WEB_HEALTH_INTERVAL_MS === 0) return undefined;
  const url = `${localWebUrl(config.HOST, config.PORT)}/api/health`;
  return {
    check: async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(config.ARBITER_WEB_HEALTH_TIMEOUT_MS) });
      await res.body?.cancel();
      return true;
    },
    everyMs: config.ARBITER_WEB_HEALTH_INTERVAL_MS,
    failures: config.ARBITER_WEB_HEALTH_FAILURES,
    startupMs,
  };
}
