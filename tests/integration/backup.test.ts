// `arbiter backup` / `arbiter restore` (lib/backup): the whole installation into a new,
// empty database on the same server and a new data folder. Exports of the restored
// installation are byte for byte those of the original, a backup of it holds the same rows,
// artifacts' files come back with their SHA-256 checked, and a damaged or cut-off backup is
// refused with nothing written.
import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { eq } from "drizzle-orm";
import { NextRequest } from "next/server";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as exportRoute } from "@/app/api/v1/projects/[id]/export/route";
import { createApiToken } from "@/lib/auth/api-tokens";
import { writeBackup } from "@/lib/backup/backup";
import { codeLevel, databaseLevel, journal, migrateTo } from "@/lib/backup/migration-level";
import { restoreBackup } from "@/lib/backup/restore";
import { closeDb, getDb, getPool } from "@/lib/db/client";
import { modelArtifacts, roundMetrics, rounds } from "@/lib/db/schema";
import { submitJudgment } from "@/lib/judgments/submit-judgment";
import { nextTask, type Task } from "@/lib/tasks/next-task";
import { anAdmin, annotators, aProject, importText, ndjson, responseRecords } from "./fixtures";

vi.hoisted(() => {
  if (!process.env.NEXTAUTH_SECRET) vi.stubEnv("NEXTAUTH_SECRET", "backup-test-secret");
});
// the worker process may run other files next: give them the environment back
afterAll(() => {
  vi.unstubAllEnvs();
});

const work = mkdtempSync(path.join(tmpdir(), "arbiter-backup-"));
const sourceData = path.join(work, "source");
const targetData = path.join(work, "target");
const sourceUrl = process.env.DATABASE_URL!;
const created: string[] = [];

/** A new, empty database on the test server (dropped after the file). */
async function emptyDatabase(): Promise<string> {
  const name = `arbiter_restore_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: sourceUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  created.push(name);
  const url = new URL(sourceUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The process (pool, checkpoint folder) pointed at one installation for the length of `fn`. */
async function at<T>(url: string, dataDir: string, fn: () => Promise<T>): Promise<T> {
  await closeDb();
  process.env.DATABASE_URL = url;
  process.env.ARBITER_DATA_DIR = dataDir;
  try {
    return await fn();
  } finally {
    await closeDb();
    process.env.DATABASE_URL = sourceUrl;
    process.env.ARBITER_DATA_DIR = sourceData;
  }
}

/** The file's sections after the manifest, table by table (rows as text) and file by file. */
function sections(file: string): { manifest: Record<string, unknown>; tables: Map<string, string>; files: string[] } {
  const lines = gunzipSync(readFileSync(file)).toString("utf8").split("\n");
  const manifest = JSON.parse(lines[0]!) as Record<string, unknown>;
  const tables = new Map<string, string>();
  const files: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('{"table":')) {
      const name = (JSON.parse(line) as { table: string }).table;
      const rows: string[] = [];
      while (lines[++i] !== "\\.") rows.push(lines[i]!);
      tables.set(name, [line, ...rows].join("\n"));
    } else if (line.startsWith('{"file":')) files.push(line);
  }
  return { manifest, tables, files };
}

async function exportOf(projectId: string, token: string, format: string): Promise<string> {
  const res = await exportRoute(new NextRequest(`http://localhost/api/v1/projects/${projectId}/export?format=${format}`, { headers: { authorization: `Bearer ${token}` } }), {
    params: Promise.resolve({ id: projectId }),
  });
  expect(res.status).toBe(200);
  return res.text();
}

let projectId: string;
let token: string;
let artifactPath: string;
const weights = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256));

beforeAll(async () => {
  mkdirSync(sourceData, { recursive: true });
  process.env.ARBITER_DATA_DIR = sourceData;
  // a project with judgments, a round with metrics and a registered model whose files exist
  const project = await aProject({ mode: "pairwise", redundancy: 2, criteria: ["helpful"] });
  projectId = project.id;
  await importText(project, ndjson([...responseRecords(6, 2, "backup"), { prompt: "Say hi", chosen: "Hi!", rejected: "Go away." }, { prompt: "Say hi", completion: "Hello there." }]));
  const team = await annotators(project, 3);
  for (const me of team) {
    for (let i = 0; i < 3; i++) {
      const task = (await nextTask(project, me)) as Task;
      await submitJudgment(task.comparisonId, me, { clientId: randomUUID(), ranking: [[task.responses[1]!.id], [task.responses[0]!.id]], rationale: "line one\nline\ttwo \\ \"quoted\"", durationMs: 1234 });
    }
  }
  token = (await createApiToken((await anAdmin()).id, "backup")).token;
  const [round] = await getDb()
    .insert(rounds)
    .values({ projectId, number: 1, trigger: "admin", status: "succeeded", judgmentWatermark: new Date(), finishedAt: new Date() })
    .returning();
  await getDb().insert(roundMetrics).values([1, 2, 3].map((step) => ({ roundId: round!.id, phase: "reward_model", step, name: "train/loss", value: 1 / step })));
  artifactPath = `${projectId}/round-1/reward-model`;
  const dir = path.join(sourceData, "checkpoints", ...artifactPath.split("/"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "model.safetensors"), weights);
  writeFileSync(path.join(dir, "config.json"), '{"n_embd": 32}\n');
  await getDb()
    .insert(modelArtifacts)
    .values({ projectId, roundId: round!.id, kind: "reward_model", path: artifactPath, sizeBytes: weights.length, sha256: createHash("sha256").update(weights).digest("hex") });
});

afterAll(async () => {
  await closeDb();
  const admin = new pg.Client({ connectionString: sourceUrl });
  await admin.connect();
  for (const name of created) await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
  delete process.env.ARBITER_DATA_DIR;
  rmSync(work, { recursive: true, force: true });
});

describe("backup and restore", () => {
  it("restores into an empty database: identical exports, the same rows in a second backup, artifacts' files in place", async () => {
    const file = path.join(work, "whole.arbiter-backup.gz");
    const summary = await writeBackup(file, { includeArtifacts: true });
    // other files share this database, and their artifacts' folders are elsewhere (reported
    // as problems, rightly): this project's must all be found
    expect(summary.problems.filter((p) => p.path.startsWith(`${projectId}/`))).toEqual([]);
    expect(summary.files).toBeGreaterThanOrEqual(2);
    const before = { pairwise: await exportOf(projectId, token, "pairwise"), raw: await exportOf(projectId, token, "raw"), sft: await exportOf(projectId, token, "sft") };
    expect(before.raw.split("\n").filter(Boolean)).toHaveLength(10); // 9 judged here, 1 imported

    const target = await emptyDatabase();
    const restored = await at(target, targetData, () => restoreBackup(file, { url: target }));
    expect(restored.rows.judgments).toBe(summary.rows.judgments);

    // a backup of the restored installation holds the same rows (rounds that were queued or running are failed: their jobs are not in a backup)
    const again = path.join(work, "again.arbiter-backup.gz");
    await at(target, targetData, () => writeBackup(again, { includeArtifacts: true }));
    const [a, b] = [sections(file), sections(again)];
    expect(b.manifest.migrations).toEqual(a.manifest.migrations);
    expect([...b.tables.keys()]).toEqual([...a.tables.keys()]);
    for (const [name, text] of a.tables) {
      if (name === "rounds") continue;
      expect(b.tables.get(name), name).toBe(text);
    }
    expect(b.files).toEqual(a.files);

    await at(target, targetData, async () => {
      expect({ pairwise: await exportOf(projectId, token, "pairwise"), raw: await exportOf(projectId, token, "raw"), sft: await exportOf(projectId, token, "sft") }).toEqual(before);
      // the artifact's files, byte for byte
      const dir = path.join(targetData, "checkpoints", ...artifactPath.split("/"));
      expect(readFileSync(path.join(dir, "model.safetensors")).equals(weights)).toBe(true);
      expect(readFileSync(path.join(dir, "config.json"), "utf8")).toBe('{"n_embd": 32}\n');
      // sequences carry on after the restored rows
      const [round] = await getDb().select().from(rounds).where(eq(rounds.projectId, projectId));
      const [metric] = await getDb().insert(roundMetrics).values({ roundId: round!.id, phase: "x", step: 1, name: "y", value: 0 }).returning();
      const { rows } = await getPool().query<{ max: string }>("select max(id)::text as max from round_metrics where phase <> 'x'");
      expect(metric!.id).toBeGreaterThan(Number(rows[0]!.max));
      await getDb().delete(roundMetrics).where(eq(roundMetrics.id, metric!.id));
    });
  });

  it("refuses a database that is not empty, a damaged file and a cut-off one, writing nothing", async () => {
    const file = path.join(work, "second.arbiter-backup.gz");
    await writeBackup(file, { includeArtifacts: true });
    await expect(restoreBackup(file, { url: sourceUrl })).rejects.toThrow(/not empty/);

    // one byte of the artifact's weights changed inside the backup
    const text = gunzipSync(readFileSync(file));
    const at0 = text.indexOf(weights.subarray(0, 64));
    expect(at0).toBeGreaterThan(0);
    const damaged = Buffer.from(text);
    damaged[at0 + 100] = damaged[at0 + 100]! ^ 0xff;
    const damagedFile = path.join(work, "damaged.gz");
    writeFileSync(damagedFile, gzipSync(damaged));
    const target = await emptyDatabase();
    const dataDir = path.join(work, "damaged-target");
    await expect(at(target, dataDir, () => restoreBackup(damagedFile, { url: target }))).rejects.toThrow(/SHA-256/);
    const cutFile = path.join(work, "cut.gz");
    writeFileSync(cutFile, gzipSync(text.subarray(0, Math.floor(text.length / 2))));
    await expect(at(target, dataDir, () => restoreBackup(cutFile, { url: target }))).rejects.toThrow(/cut off|ends/);
    // nothing was committed: the same database takes the good backup afterwards
    const ok = await at(target, dataDir, () => restoreBackup(file, { url: target }));
    expect(ok.rows.judgments).toBeGreaterThan(0);
  });

  it("fails at once on a full disk and leaves no file", async () => {
    // the file being written is /dev/full: every write fails with ENOSPC, where the backup
    // used to wait forever for gzip's 'drain', its REPEATABLE READ transaction open
    const dir = mkdtempSync(path.join(work, "full-"));
    const file = path.join(dir, "full.arbiter-backup.gz");
    symlinkSync("/dev/full", `${file}.partial`);
    await expect(writeBackup(file, { includeArtifacts: true })).rejects.toThrow(/ENOSPC|no space/i);
    expect(readdirSync(dir)).toEqual([]);
  }, 20_000);

  it("after an interrupted restore says what is left, takes the empty schema it left (moved forward to a newer backup's level), and refuses one newer than the backup with what to do", async () => {
    const all = journal();
    const older = { count: all.length - 2, lastTag: all.at(-3)!.tag, lastWhen: all.at(-3)!.when };
    const old = await emptyDatabase();
    await migrateTo(old, older);
    const c = new pg.Client({ connectionString: old });
    await c.connect();
    await c.query("insert into users (email, role) values ('interrupted@test.example', 'admin')");
    await c.end();
    const olderFile = path.join(work, "interrupted-older.arbiter-backup.gz");
    await writeBackup(olderFile, { url: old, includeArtifacts: true });
    const cut = (file: string) => {
      const text = gunzipSync(readFileSync(file));
      const out = `${file}.cut.gz`;
      writeFileSync(out, gzipSync(text.subarray(0, text.length - 30))); // the last line gone: fails after the rows are loaded
      return out;
    };
    const newerFile = path.join(work, "interrupted-newer.arbiter-backup.gz");
    await writeBackup(newerFile, { includeArtifacts: true });

    // interrupted at the older level: the message says what is left and what to do
    const target = await emptyDatabase();
    const dataDir = path.join(work, "interrupted-target");
    const failed = await at(target, dataDir, () => restoreBackup(cut(olderFile), { url: target })).catch((e: Error) => e);
    expect(String(failed)).toMatch(new RegExp(`Nothing was restored: the rows' transaction rolled back, leaving Arbiter's schema \\(${older.lastTag}\\) with no rows. Run the restore again`));
    // a newer backup takes that empty schema, moved forward to its own level
    const restored = await at(target, dataDir, () => restoreBackup(newerFile, { url: target }));
    expect(restored.rows.judgments).toBeGreaterThan(0);
    const check = new pg.Client({ connectionString: target });
    await check.connect();
    try {
      expect(await databaseLevel(check)).toEqual(codeLevel());
    } finally {
      await check.end();
    }

    // interrupted at the newest level, then an older backup: refused, saying why and what to do
    const second = await emptyDatabase();
    const secondDir = path.join(work, "interrupted-second");
    await expect(at(second, secondDir, () => restoreBackup(cut(newerFile), { url: second }))).rejects.toThrow(/Nothing was restored/);
    await expect(at(second, secondDir, () => restoreBackup(olderFile, { url: second }))).rejects.toThrow(/it is empty \(an interrupted restore.*\) but newer than the backup.*drop schema public cascade/);
    // the same backup again goes through
    const again = await at(second, secondDir, () => restoreBackup(newerFile, { url: second }));
    expect(again.rows.judgments).toBe(restored.rows.judgments);
  }, 60_000);

  it("restores a backup made at an older migration level, then applies the migrations after it", async () => {
    const all = journal();
    const older = { count: all.length - 2, lastTag: all.at(-3)!.tag, lastWhen: all.at(-3)!.when };
    const old = await emptyDatabase();
    await migrateTo(old, older);
    const client = new pg.Client({ connectionString: old });
    await client.connect();
    await client.query("insert into users (email, role) values ('old@test.example', 'admin')");
    await client.end();
    const file = path.join(work, "older.arbiter-backup.gz");
    await writeBackup(file, { url: old, includeArtifacts: true });
    expect(sections(file).manifest.migrations).toEqual(older);

    const target = await emptyDatabase();
    const restored = await at(target, path.join(work, "older-target"), () => restoreBackup(file, { url: target }));
    expect(restored.rows.users).toBe(1);
    const check = new pg.Client({ connectionString: target });
    await check.connect();
    try {
      expect(await databaseLevel(check)).toEqual(codeLevel());
      expect((await check.query("select email from users")).rows).toEqual([{ email: "old@test.example" }]);
    } finally {
      await check.end();
    }
  });
});
