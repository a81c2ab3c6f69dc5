// The embedded PostgreSQL when its starter dies (issue 19 review). A process starts it as
// npm start does and is SIGKILLed: the postmaster, in a process group of its own (so a
// terminal's Ctrl-C never reaches it directly), lives on. The next start finds that its
// recorded owner has gone, says so, stops it and starts one of its own, which it watches
// (an unexpected exit is reported), on the same data. A server whose owner is alive is
// attached to, as before.
//
// Pids are reused, so the files that name them are not enough to signal a process: an
// owner file whose recorded start time does not match the running server is stale (the
// server is attached to, not stopped), and a postmaster.pid whose pid now runs an
// unrelated process (a `sleep`) leaves that process alone.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "@/lib/db/embedded";

const root = path.resolve(import.meta.dirname, "..", "..");
const dataDir = mkdtempSync(path.join(tmpdir(), "arbiter-orphan-"));
chmodSync(dataDir, 0o755); // as root the server runs as `postgres` and must reach it
let ours: EmbeddedDatabase | undefined;
let orphanPid: number | undefined;

afterAll(async () => {
  for (const child of unrelated) child.kill("SIGKILL");
  await ours?.stop();
  if (orphanPid && alive(orphanPid)) process.kill(orphanPid, "SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Field 5 of /proc/<pid>/stat: the process group. */
function processGroup(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

const ownerFile = path.join(dataDir, "pg-owner.json");
type OwnerRecord = { pid: number; postmaster: number; ownerStamp?: { startTicks: number; bootId: string }; postmasterStamp?: { startTicks: number; bootId: string } };
const readOwner = () => JSON.parse(readFileSync(ownerFile, "utf8")) as OwnerRecord;
const writeOwner = (o: OwnerRecord) => writeFileSync(ownerFile, JSON.stringify(o));

/** A process of this user that has nothing to do with PostgreSQL. */
function anUnrelatedProcess(): ChildProcess {
  const child = spawn("sleep", ["600"], { stdio: "ignore" });
  unrelated.push(child);
  return child;
}
const unrelated: ChildProcess[] = [];

async function query(url: string, text: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

describe("an embedded PostgreSQL whose starter was SIGKILLed", () => {
  it("runs in its own process group, survives as an orphan, and is replaced by the next start on the same data", async () => {
    // 1. a starter in a process of its own, killed once its server runs and holds a row
    const script = `const { startEmbeddedPostgres } = await import(${JSON.stringify(path.join(root, "lib", "db", "embedded.ts"))});
      const db = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} });
      console.log(JSON.stringify({ url: db.url, pid: db.pid() }));
      setInterval(() => {}, 1000);`;
    const starter = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    starter.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    starter.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    const first = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
      starter.stdout!.on("data", () => {
        const line = out.split("\n").find((l) => l.startsWith("{"));
        if (line) resolve(JSON.parse(line) as { url: string; pid: number });
      });
      starter.once("exit", (code) => reject(new Error(`the starter exited (${code}): ${out}`)));
    });
    orphanPid = first.pid;
    expect(processGroup(first.pid)).toBe(first.pid); // a group of its own, not the starter's
    expect(processGroup(first.pid)).not.toBe(processGroup(starter.pid!));
    await query(first.url, "create table kept (n int); insert into kept values (42)");
    starter.kill("SIGKILL");
    await new Promise((r) => starter.once("exit", r));
    await new Promise((r) => setTimeout(r, 500));
    expect(alive(first.pid)).toBe(true); // the orphan nobody supervises

    // what the starter recorded: itself and its server, each with start time and boot
    const recorded = readOwner();
    expect(recorded).toMatchObject({ pid: starter.pid, postmaster: first.pid, ownerStamp: { bootId: expect.any(String) }, postmasterStamp: { bootId: expect.any(String) } });

    // 2a. a record whose start time is not the running server's is stale: attached to, never signalled
    writeOwner({ ...recorded, postmasterStamp: { ...recorded.postmasterStamp!, startTicks: recorded.postmasterStamp!.startTicks + 1 } });
    const attached = await startEmbeddedPostgres({ dataDir, notice: () => {} });
    expect(attached.owned).toBe(false);
    expect(attached.url).toBe(first.url);
    expect(alive(first.pid)).toBe(true);

    // 2b. the owner's pid taken by an unrelated process does not make the owner alive
    const reusedOwner = anUnrelatedProcess();
    writeOwner({ ...recorded, pid: reusedOwner.pid! });

    // 2. the next start: says so, stops the orphan, starts its own on the same data
    const said: string[] = [];
    ours = await startEmbeddedPostgres({ dataDir, notice: (line) => said.push(line) });
    expect(said).toEqual([expect.stringMatching(new RegExp(`PostgreSQL \\(pid ${first.pid}\\) was left running by a start that has gone \\(pid ${reusedOwner.pid}\\); stopping it`))]);
    expect(alive(reusedOwner.pid!)).toBe(true);
    expect(ours.owned).toBe(true);
    expect(ours.url).toBe(first.url); // the same port: what had attached to the orphan reconnects
    expect(alive(first.pid)).toBe(false);
    const second = ours.pid()!;
    expect(second).not.toBe(first.pid);
    expect(processGroup(second)).toBe(second);
    expect((await query(ours.url, "select n from kept")).rows).toEqual([{ n: 42 }]);

    // supervised: an exit it did not ask for is reported
    const exits: string[] = [];
    ours.onUnexpectedExit((code, signal) => exits.push(signal ?? String(code)));
    process.kill(second, "SIGKILL");
    await new Promise((r) => setTimeout(r, 500));
    expect(exits).toEqual(["SIGKILL"]);
    await ours.restart();
    expect((await query(ours.url, "select n from kept")).rows).toEqual([{ n: 42 }]);

    // 3. while its owner (this process) is alive, another start attaches instead
    const again = await startEmbeddedPostgres({ dataDir, notice: (line) => said.push(line) });
    expect(again.owned).toBe(false);
    expect(again.url).toBe(ours.url);
    expect(said).toHaveLength(1);
  }, 90_000);

  it("leaves alone an unrelated process whose pid a stale postmaster.pid and owner file name", async () => {
    // the server stopped without removing its postmaster.pid (a crash), and its pid went to a `sleep`
    const url = ours!.url;
    await ours!.stop();
    ours = undefined;
    const victim = anUnrelatedProcess();
    const pidFile = path.join(dataDir, "pg", "postmaster.pid");
    const port = new URL(url).port;
    writeFileSync(pidFile, `${victim.pid}\n${path.join(dataDir, "pg")}\n1700000000\n${port}\n\n127.0.0.1\n  1234 5678\nready\n`);
    const dead = spawn("true");
    await new Promise((r) => dead.once("exit", r));
    writeOwner({ pid: dead.pid!, postmaster: victim.pid! });

    const said: string[] = [];
    ours = await startEmbeddedPostgres({ dataDir, notice: (line) => said.push(line) });
    await new Promise((r) => setTimeout(r, 200));
    expect(alive(victim.pid!)).toBe(true);
    expect(victim.exitCode).toBeNull();
    expect(said).toEqual([expect.stringMatching(new RegExp(`names pid ${victim.pid}, which is not this folder's PostgreSQL.*signalling nothing`))]);
    expect(ours.owned).toBe(true);
    expect((await query(ours.url, "select n from kept")).rows).toEqual([{ n: 42 }]);
  }, 60_000);
});
