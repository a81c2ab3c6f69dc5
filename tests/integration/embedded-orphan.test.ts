// The embedded PostgreSQL when its starter dies (issue 19 review). A process starts it as
// npm start does and is SIGKILLed: the postmaster, in a process group of its own (so a
// terminal's Ctrl-C never reaches it directly), lives on. The next start finds that its
// recorded owner has gone, says so, stops it and starts one of its own, which it watches
// (an unexpected exit is reported), on the same data. A server whose owner is alive is
// attached to, as before.
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
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

    // 2. the next start: says so, stops the orphan, starts its own on the same data
    const said: string[] = [];
    ours = await startEmbeddedPostgres({ dataDir, notice: (line) => said.push(line) });
    expect(said).toEqual([expect.stringMatching(new RegExp(`PostgreSQL \\(pid ${first.pid}\\) was left running by a start that has gone \\(pid ${starter.pid}\\); stopping it`))]);
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
});
