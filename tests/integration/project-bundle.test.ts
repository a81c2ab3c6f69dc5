// Project bundles (lib/backup/bundle-*.ts): a project exported, imported into another
// installation and exported again gives the same sections byte for byte. Into an
// installation that knows one of its annotators by email, the bundle's rows point at that
// account; round-metric ids taken there are renumbered; the same project twice is refused.
import { randomUUID } from "node:crypto";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { eq } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportProjectBundle } from "@/lib/backup/bundle-export";
import { importProjectBundle } from "@/lib/backup/bundle-import";
import { closeDb, getDb } from "@/lib/db/client";
import { runMigrations } from "@/lib/db/migrate";
import { judgments, modelArtifacts, roundMetrics, rounds, type User } from "@/lib/db/schema";
import { submitJudgment } from "@/lib/judgments/submit-judgment";
import { skipComparison } from "@/lib/judgments/undo-and-skip";
import { nextTask, type Task } from "@/lib/tasks/next-task";
import { annotators, aProject, importText, ndjson, responseRecords } from "./fixtures";

const work = mkdtempSync(path.join(tmpdir(), "arbiter-bundle-"));
const sourceUrl = process.env.DATABASE_URL!;
const created: string[] = [];

/** A new database on the test server at this code's migration level, with no rows. */
async function installation(): Promise<string> {
  const name = `arbiter_bundle_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: sourceUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  created.push(name);
  const url = new URL(sourceUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  return url.toString();
}

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

/**
 * A crafted copy of a bundle: `edit` sees every line with the table whose rows it is in
 * (null outside rows) and returns its replacement. Latin-1 keeps files' bytes as they are.
 */
function craft(file: string, out: string, edit: (line: string, table: string | null) => string): string {
  let table: string | null = null;
  const lines = gunzipSync(readFileSync(file))
    .toString("latin1")
    .split("\n")
    .map((line) => {
      if (line.startsWith('{"table":')) {
        const edited = edit(line, null);
        table = (JSON.parse(line) as { table: string }).table;
        return edited;
      }
      if (table && line === "\\.") table = null;
      return edit(line, table);
    });
  writeFileSync(out, gzipSync(Buffer.from(lines.join("\n"), "latin1")));
  return out;
}

/** The users' role column (the fourth) of a bundle's users rows. */
const asAnnotators = (line: string, table: string | null) => (table === "users" ? line.split("\t").map((v, i) => (i === 3 ? "annotator" : v)).join("\t") : line);

/** Everything after the manifest line (which carries the time of export). */
function body(file: string): string {
  const text = gunzipSync(readFileSync(file)).toString("utf8");
  return text.slice(text.indexOf("\n") + 1);
}

let projectId: string;
let team: User[];

beforeAll(async () => {
  process.env.ARBITER_DATA_DIR = path.join(work, "data");
  const project = await aProject({ mode: "pairwise", redundancy: 2, criteria: ["honest"] });
  projectId = project.id;
  await importText(project, ndjson([...responseRecords(5, 2, "bundle"), { prompt: "Name a colour", chosen: "Blue", rejected: "Seven" }, { prompt: "Name a colour", completion: "Green." }]));
  team = await annotators(project, 2);
  for (const me of team) {
    for (let i = 0; i < 3; i++) {
      const task = (await nextTask(project, me)) as Task;
      await submitJudgment(task.comparisonId, me, {
        clientId: randomUUID(),
        ranking: [[task.responses[0]!.id], [task.responses[1]!.id]],
        strength: 2,
        criteria: { honest: [[task.responses[0]!.id, task.responses[1]!.id]] },
        rationale: "tab\there, newline\nthere, backslash \\",
      });
    }
  }
  const skipped = (await nextTask(project, team[0]!)) as Task;
  await skipComparison(skipped.comparisonId, team[0]!, "unclear");
  const [round] = await getDb().insert(rounds).values({ projectId, number: 1, trigger: "admin", status: "succeeded", judgmentWatermark: new Date(), finishedAt: new Date() }).returning();
  await getDb().insert(roundMetrics).values([1, 2].map((step) => ({ roundId: round!.id, phase: "reward_model", step, name: "val/accuracy", value: 0.5 + step / 10 })));
});

afterAll(async () => {
  await closeDb();
  for (const name of created) await query(sourceUrl, `drop database if exists ${name} with (force)`);
  delete process.env.ARBITER_DATA_DIR;
  rmSync(work, { recursive: true, force: true });
});

describe("project bundles", () => {
  it("export → import into another installation → export gives the same bundle", async () => {
    const first = path.join(work, "first.bundle.gz");
    const exported = await exportProjectBundle(projectId, first, { includeArtifacts: false });
    expect(exported.rows).toMatchObject({ projects: 1, judgments: 7, skips: 1, round_metrics: 2, demonstrations: 1 });
    // the annotators, the project's creator and the "imported" author, and nobody else
    expect(exported.rows.users).toBe(4);

    const other = await installation();
    const imported = await importProjectBundle(first, { url: other });
    expect(imported).toMatchObject({ projectId, users: { matched: 0, created: 4 }, renumbered: [] });
    const again = path.join(work, "again.bundle.gz");
    await exportProjectBundle(projectId, again, { url: other, includeArtifacts: false });
    // the same rows, but nobody comes in as an admin because a bundle says so
    expect(body(again)).toBe(body(craft(first, path.join(work, "first-annotators.bundle.gz"), asAnnotators)));
    expect(await query(other, "select count(*)::int as n from users where role = 'admin'")).toEqual([{ n: 0 }]);
    // no passwords travel
    expect(await query(other, "select count(*)::int as n from users where password_hash is not null")).toEqual([{ n: 0 }]);
  });

  it("points the bundle's rows at an account with the same email, renumbers metric ids taken there, and refuses the same project twice", async () => {
    const file = path.join(work, "matched.bundle.gz");
    await exportProjectBundle(projectId, file, { includeArtifacts: false });
    const other = await installation();
    // there: the first annotator under another id, and round metrics with the bundle's ids
    const [existing] = await query<{ id: string }>(other, "insert into users (email, role) values ($1, 'annotator') returning id", [team[0]!.email]);
    const [admin] = await query<{ id: string }>(other, "insert into users (email, role) values ('someone@test.example', 'admin') returning id");
    const [p] = await query<{ id: string }>(other, "insert into projects (name, created_by) values ('theirs', $1) returning id", [admin!.id]);
    const [r] = await query<{ id: string }>(other, "insert into rounds (project_id, number, trigger, status, judgment_watermark) values ($1, 1, 'admin', 'succeeded', now()) returning id", [p!.id]);
    const ids = (await getDb().select({ id: roundMetrics.id }).from(roundMetrics).innerJoin(rounds, eq(rounds.id, roundMetrics.roundId)).where(eq(rounds.projectId, projectId))).map((m) => m.id);
    for (const id of ids) await query(other, "insert into round_metrics (id, round_id, phase, step, name, value) values ($1, $2, 'x', 1, 'y', 0)", [id, r!.id]);

    const imported = await importProjectBundle(file, { url: other });
    expect(imported.users).toEqual({ matched: 1, created: 3 });
    expect(imported.renumbered).toEqual(["round_metrics.id"]);
    const mine = await query<{ n: number }>(other, "select count(*)::int as n from judgments where project_id = $1 and annotator_id = $2", [projectId, existing!.id]);
    expect(mine).toEqual([{ n: (await getDb().select().from(judgments).where(eq(judgments.annotatorId, team[0]!.id))).length }]);
    expect(await query(other, "select count(*)::int as n from round_metrics where round_id in (select id from rounds where project_id = $1)", [projectId])).toEqual([{ n: 2 }]);

    await expect(importProjectBundle(file, { url: other })).rejects.toThrow(/already in this installation/);
    // and the refused import left nothing behind
    expect(await query(other, "select count(*)::int as n from projects")).toEqual([{ n: 2 }]);
  });
});

describe("bundles between installations with other session settings", () => {
  it("are the same bytes from a database whose date style, interval style, float digits and time zone differ", async () => {
    const first = path.join(work, "settings.bundle.gz");
    await exportProjectBundle(projectId, first, { includeArtifacts: false });
    const other = await installation();
    const name = new URL(other).pathname.slice(1);
    await query(sourceUrl, `alter database ${name} set datestyle = 'SQL, DMY'`);
    await query(sourceUrl, `alter database ${name} set intervalstyle = 'sql_standard'`);
    await query(sourceUrl, `alter database ${name} set extra_float_digits = 0`);
    await query(sourceUrl, `alter database ${name} set timezone = 'America/New_York'`);
    await importProjectBundle(first, { url: other });
    const again = path.join(work, "settings-again.bundle.gz");
    await exportProjectBundle(projectId, again, { url: other, includeArtifacts: false });
    expect(body(again)).toBe(body(craft(first, path.join(work, "settings-annotators.bundle.gz"), asAnnotators)));
  });
});

describe("a bundle export on a full disk", () => {
  it("fails at once and leaves no file (it used to wait forever for gzip's 'drain')", async () => {
    const dir = mkdtempSync(path.join(work, "full-"));
    const file = path.join(dir, "p.bundle.gz");
    symlinkSync("/dev/full", `${file}.partial`);
    await expect(exportProjectBundle(projectId, file, { includeArtifacts: false })).rejects.toThrow(/ENOSPC|no space/i);
    expect(readdirSync(dir)).toEqual([]);
  }, 20_000);
});

describe("a crafted bundle is refused, with nothing written", () => {
  const artifact = () => `${projectId}/round-1/reward-model`;
  let file: string;
  let other: string;
  let theirs: string;
  let theirAdmin: string;

  /** Imports with another data folder (another installation's checkpoints). */
  async function importInto(dataDir: string, bundle: string) {
    const before = process.env.ARBITER_DATA_DIR;
    process.env.ARBITER_DATA_DIR = dataDir;
    try {
      return await importProjectBundle(bundle, { url: other });
    } finally {
      process.env.ARBITER_DATA_DIR = before;
    }
  }
  const untouched = async () => {
    expect(await query(other, "select count(*)::int as n from projects")).toEqual([{ n: 1 }]);
    expect(await query(other, "select (select count(*) from users)::int as u, (select count(*) from project_members)::int as m, (select count(*) from judgments)::int as j")).toEqual([{ u: 1, m: 0, j: 0 }]);
  };

  beforeAll(async () => {
    const [round] = await getDb().select().from(rounds).where(eq(rounds.projectId, projectId));
    const dir = path.join(work, "data", "checkpoints", ...artifact().split("/"));
    mkdirSync(dir, { recursive: true });
    const weights = Buffer.from("weights\nwith a newline");
    writeFileSync(path.join(dir, "model.safetensors"), weights);
    writeFileSync(path.join(dir, "config.json"), '{"n_embd": 32}\n');
    await getDb()
      .insert(modelArtifacts)
      .values({ projectId, roundId: round!.id, kind: "reward_model", path: artifact(), sha256: createHash("sha256").update(weights).digest("hex") });
    file = path.join(work, "with-files.bundle.gz");
    await exportProjectBundle(projectId, file, { includeArtifacts: true });
    other = await installation();
    [{ id: theirAdmin }] = (await query<{ id: string }>(other, "insert into users (email, role) values ('their-admin@test.example', 'admin') returning id")) as [{ id: string }];
    [{ id: theirs }] = (await query<{ id: string }>(other, "insert into projects (name, created_by) values ('theirs', $1) returning id", [theirAdmin])) as [{ id: string }];
  });

  it("refuses a member of another project", async () => {
    let once = false;
    const crafted = craft(file, path.join(work, "member.bundle.gz"), (line, table) => {
      if (table !== "project_members" || once) return line;
      once = true;
      return line.replace(projectId, theirs);
    });
    await expect(importInto(path.join(work, "elsewhere"), crafted)).rejects.toThrow(/1 project_members row\(s\) not of project/);
    await untouched();
  });

  it("refuses judgments attributed to a user the bundle does not carry", async () => {
    const crafted = craft(file, path.join(work, "judge.bundle.gz"), (line, table) => (table === "judgments" ? line.replace(team[0]!.id, theirAdmin) : line));
    await expect(importInto(path.join(work, "elsewhere"), crafted)).rejects.toThrow(/judgments row\(s\) point at users rows the bundle does not hold/);
    await untouched();
  });

  it("refuses an artifact in another project's folder, and a file outside the bundle's artifacts", async () => {
    const moved = craft(file, path.join(work, "artifact.bundle.gz"), (line, table) => (table === "model_artifacts" ? line.replace(`${projectId}/round-1`, `${theirs}/round-1`) : line));
    await expect(importInto(path.join(work, "elsewhere"), moved)).rejects.toThrow(/model artifact path .* is not inside the project's folder/);
    const stray = craft(file, path.join(work, "file.bundle.gz"), (line, table) =>
      table === null && line.startsWith('{"file":') ? line.replace(`${artifact()}/config.json`, `${theirs}/round-1/policy/config.json`) : line,
    );
    await expect(importInto(path.join(work, "elsewhere"), stray)).rejects.toThrow(/file .* is not inside the folder of one of its model artifacts/);
    expect(existsSync(path.join(work, "elsewhere", "checkpoints", theirs))).toBe(false);
    await untouched();
  });

  it("refuses to replace a different file there, and imports (as annotators) when the file there is the same", async () => {
    const there = path.join(work, "there");
    const config = path.join(there, "checkpoints", ...artifact().split("/"), "config.json");
    mkdirSync(path.dirname(config), { recursive: true });
    writeFileSync(config, "theirs\n");
    await expect(importInto(there, file)).rejects.toThrow(/would replace a different file/);
    expect(readFileSync(config, "utf8")).toBe("theirs\n");
    await untouched();

    writeFileSync(config, '{"n_embd": 32}\n');
    const imported = await importInto(there, file);
    expect(imported.files).toBe(2);
    expect(readFileSync(path.join(path.dirname(config), "model.safetensors"), "utf8")).toBe("weights\nwith a newline");
    expect(await query(other, "select count(*)::int as n from users where role = 'admin'")).toEqual([{ n: 1 }]);
  });
});
