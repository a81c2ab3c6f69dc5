// Project bundles (lib/backup/bundle-*.ts): a project exported, imported into another
// installation and exported again gives the same sections byte for byte. Into an
// installation that knows one of its annotators by email, the bundle's rows point at that
// account; round-metric ids taken there are renumbered; the same project twice is refused.
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { eq } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportProjectBundle } from "@/lib/backup/bundle-export";
import { importProjectBundle } from "@/lib/backup/bundle-import";
import { closeDb, getDb } from "@/lib/db/client";
import { runMigrations } from "@/lib/db/migrate";
import { judgments, roundMetrics, rounds, type User } from "@/lib/db/schema";
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
    expect(body(again)).toBe(body(first));
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
