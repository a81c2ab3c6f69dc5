// The processes of the cluster suite: web processes and trainers, each a real process
// started as `npm start` starts it on a machine of one role (ARBITER_ROLE=web|trainer, on
// DATABASE_URL), with its output kept for the failure messages. Each leads its own process
// group (the start script and what it starts go together), and writes its console to a
// file the tests read too (they run in other processes); stopAll() ends them all, and a
// test process that dies without stopping them leaves no orphans either (SIGKILL on exit,
// and exit-with-parent.cjs in each child).
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import path from "node:path";

export const root = path.resolve(import.meta.dirname, "..", "..");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type Role = "web" | "trainer";

export class ClusterProcess {
  readonly child: ChildProcess;

  constructor(
    readonly name: string,
    readonly role: Role,
    readonly logFile: string,
    env: Record<string, string>,
  ) {
    const exitWithParent = `--require ${JSON.stringify(path.join(root, "scripts", "exit-with-parent.cjs"))}`;
    const log = openSync(logFile, "a");
    this.child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts", "start.ts")], {
      cwd: root,
      detached: true,
      stdio: ["ignore", log, log],
      env: { ...process.env, ...env, ARBITER_ROLE: role, NODE_OPTIONS: [process.env.NODE_OPTIONS, exitWithParent].filter(Boolean).join(" ") },
    });
    closeSync(log);
    live.add(this);
    this.child.once("exit", () => live.delete(this));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines it printed, for a failure message. */
  tail(lines = 40): string {
    return logTail(this.name, this.logFile, lines);
  }

  private signal(signal: NodeJS.Signals): void {
    try {
      if (this.child.pid) process.kill(-this.child.pid, signal);
    } catch {
      /* gone already */
    }
  }

  /** SIGTERM (the start script stops its children), SIGKILL to the group after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.running) {
      const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
      this.signal("SIGTERM");
      await Promise.race([exited, sleep(graceMs)]);
    }
    this.signal("SIGKILL"); // whatever of the group is left (a grandchild that outlived its parent)
  }
}

const live = new Set<ClusterProcess>();

// A test process that ends without stopAll() (an error, a signal) takes its cluster along.
process.once("exit", () => {
  for (const p of live) {
    try {
      if (p.child.pid) process.kill(-p.child.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
});

export async function stopAll(processes: ClusterProcess[]): Promise<void> {
  await Promise.all(processes.map((p) => p.stop()));
}

/** Until `check` is true, or throws naming `what` and what the processes said. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, processes: ClusterProcess[] = [], everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.resolve().then(check).catch(() => false)) return;
    const dead = processes.find((p) => !p.running);
    if (dead) throw new Error(`${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}) while waiting for ${what}:\n${dead.tail()}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}:\n${processes.map((p) => p.tail(15)).join("\n")}`);
    await sleep(everyMs);
  }
}

/** The last lines of a process's console file, each marked with its name. */
export function logTail(name: string, file: string, lines = 40): string {
  if (!existsSync(file)) return `  [${name}] (no output)`;
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).map((l) => `  [${name}] ${l}`).join("\n");
}

/**
 * For what the test process starts itself (the embedded PostgreSQL, a detached process
 * group of its own, and the temporary folder): a small detached watcher that, should the
 * test process die without its teardown (SIGKILL), stops that server and removes the
 * folder (unless `folder` is empty). It ends by itself once the server has gone (a normal
 * teardown).
 */
export function cleanUpIfKilled(serverPid: number | undefined, folder: string): void {
  const watcher = `
    const { rmSync } = require("node:fs");
    const [parent, server, folder] = [${process.pid}, ${serverPid ?? 0}, ${JSON.stringify(folder)}];
    const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
    const end = () => {
      try { if (server) process.kill(server, "SIGKILL"); } catch {}
      if (folder) rmSync(folder, { recursive: true, force: true });
      process.exit(0);
    };
    const watch = setInterval(() => {
      if (server && !alive(server)) process.exit(0);
      if (alive(parent)) return;
      clearInterval(watch);
      try { if (server) process.kill(server, "SIGINT"); } catch {}
      setInterval(() => { if (!server || !alive(server)) end(); }, 200);
      setTimeout(end, 10000);
    }, 1000);`;
  spawn(process.execPath, ["-e", watcher], { detached: true, stdio: "ignore" }).unref();
}
