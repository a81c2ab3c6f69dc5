// The platform under attack, started exactly as `npm start` starts it (scripts/start.ts)
// on a fresh embedded database, with the process ids it prints followed through every
// restart its supervisor makes, so each fault hits the process running at that moment.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export type Pids = { web: number; trainer: number; postgres: number };

export class FaultPlatform {
  readonly url: string;
  readonly dataDir = mkdtempSync(path.join(tmpdir(), "arbiter-faults-"));
  private child: ChildProcess | undefined;
  private pids: Partial<Pids> = {};
  /** every supervisor line with its time, for the record */
  readonly console: { at: number; line: string }[] = [];
  private buffer = "";

  constructor(
    readonly port: number,
    private readonly opts: { dev: boolean; env: Record<string, string> },
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts", ...(this.opts.dev ? ["--dev"] : [])], {
      cwd: path.resolve(import.meta.dirname, "..", ".."),
      env: { ...process.env, ARBITER_DATA_DIR: this.dataDir, DATABASE_URL: "", PORT: String(this.port), HOST: "127.0.0.1", NEXTAUTH_URL: this.url, ...this.opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    const ready = new Promise<void>((resolve, reject) => {
      child.on("exit", (code) => reject(new Error(`the platform exited with ${code} during start-up:\n${this.console.map((c) => c.line).join("\n")}`)));
      const onData = (d: Buffer) => {
        this.buffer += d.toString();
        let nl: number;
        while ((nl = this.buffer.indexOf("\n")) >= 0) {
          const line = this.buffer.slice(0, nl);
          this.buffer = this.buffer.slice(nl + 1);
          this.take(line);
          if (line.includes("Arbiter is running")) resolve();
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", (d: Buffer) => process.env.BENCH_PLATFORM_LOG && process.stderr.write(d));
    });
    await ready;
  }

  private take(line: string): void {
    if (process.env.BENCH_PLATFORM_LOG) process.stderr.write(`${line}\n`);
    if (!line.startsWith("[arbiter]")) return;
    this.console.push({ at: Date.now(), line });
    const first = /web app pid (\d+), trainer pid (\d+), PostgreSQL pid (\d+)/.exec(line);
    if (first) this.pids = { web: Number(first[1]), trainer: Number(first[2]), postgres: Number(first[3]) };
    const again = /(web app|trainer|PostgreSQL) restarted \(pid (\d+)\)/.exec(line);
    if (again) this.pids[again[1] === "web app" ? "web" : again[1] === "trainer" ? "trainer" : "postgres"] = Number(again[2]);
  }

  pid(which: keyof Pids): number {
    const pid = this.pids[which];
    if (!pid) throw new Error(`no ${which} pid known`);
    return pid;
  }

  /** Lines the supervisor printed since `since` that match. */
  said(re: RegExp, since: number): boolean {
    return this.console.some((c) => c.at >= since && re.test(c.line));
  }

  /** The postmaster and every backend: what a stall stops. */
  postgresProcesses(): number[] {
    const postmaster = this.pid("postgres");
    const children = readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .filter((pid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
          return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === postmaster;
        } catch {
          return false;
        }
      })
      .map(Number);
    return [postmaster, ...children];
  }

  /** SIGTERM to the start script; resolves with how long everything took to stop. */
  async stop(): Promise<number> {
    const child = this.child;
    if (!child || child.exitCode !== null) return 0;
    const started = Date.now();
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
    return (Date.now() - started) / 1000;
  }

  remove(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
