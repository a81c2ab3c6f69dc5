// `arbiter restore FILE`: a backup (backup.ts) into an empty database. The schema is built
// to the backup's migration level, every table's rows are loaded in one transaction
// (foreign-key order, COPY, each table's row count checked), sequences are reset, rounds
// that were queued or running are marked failed (their queue jobs are not in a backup),
// artifacts' files are staged and checked against their SHA-256; only then does the
// transaction commit and the files move into place. The migrations after the backup's
// level run last, and the tables are analyzed.
//
// Interrupted (an error, or the process killed) before the commit, a restore leaves the
// schema it built and no rows. It says so, and a new restore takes that empty schema: at
// the backup's level as it is, at an older level migrated forward to it. One newer than the
// backup cannot go back and is refused with what to do.
import { createReadStream } from "node:fs";
import { rmSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { z } from "zod";
import { connectionConfig } from "@/lib/db/client";
import { runMigrations } from "@/lib/db/migrate";
import { checkRegisteredHashes, moveStagedIntoPlace, readArtifactFile, stagingFolder, type ArtifactProblem, type ArtifactRow, type FileHeader } from "./artifact-files";
import { BACKUP_FORMAT } from "./backup";
import { ident, resetSequences, tablesInDependencyOrder, type TableInfo } from "./catalog";
import { databaseLevel, journal, migrateTo, type MigrationLevel } from "./migration-level";
import { SectionReader } from "./section-stream";
import { openPortableConnection } from "./portable-session";

const levelSchema = z.object({ count: z.number().int().min(0), lastTag: z.string().nullable(), lastWhen: z.number().nullable() });
const manifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(1),
  createdAt: z.string(),
  migrations: levelSchema,
  tables: z.array(z.string()),
  artifacts: z.enum(["included", "referenced"]),
});
export const tableHeaderSchema = z.object({ table: z.string(), columns: z.array(z.string()).min(1) });
export const fileHeaderSchema = z.object({ file: z.string().min(1), bytes: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/), included: z.boolean() });
const endSchema = z.object({ end: z.literal(true), tables: z.number().int(), files: z.number().int() });
export const rowsTrailerSchema = z.object({ rows: z.number().int().min(0) });

export const INTERRUPTED_BY_RESTORE = "interrupted: the installation was restored from a backup taken while this round was queued or running";

export type RestoreSummary = { createdAt: string; tables: number; rows: Record<string, number>; files: number; problems: ArtifactProblem[] };

/** The gunzipped sections of a backup or bundle file. */
export function openSections(file: string): SectionReader {
  const gunzip = createGunzip();
  void pipeline(createReadStream(file), gunzip).catch((err: Error) => gunzip.destroy(err));
  return new SectionReader(gunzip);
}

/** Loads one table's rows with COPY and checks the count its trailer gives. */
export async function copyRowsIn(client: pg.Client, input: SectionReader, into: string, columns: string[]): Promise<number> {
  const copy = client.query(copyFrom(`copy ${ident(into)} (${columns.map(ident).join(", ")}) from stdin`));
  await pipeline(input.readRows(), copy);
  const trailer = rowsTrailerSchema.parse(await input.readJson());
  if (copy.rowCount !== trailer.rows) throw new Error(`${into}: ${copy.rowCount} rows loaded, the file says ${trailer.rows} (damaged?)`);
  return copy.rowCount;
}

async function isEmpty(client: pg.Client, tables: TableInfo[]): Promise<boolean> {
  for (const t of tables) if ((await client.query(`select 1 from ${ident(t.name)} limit 1`)).rows.length) return false;
  return true;
}

/** Where a migration level sits in this code's journal: -1 for none, undefined for one it does not know. */
function position(level: MigrationLevel): number | undefined {
  if (level.lastWhen === null) return -1;
  const at = journal().findIndex((e) => e.when === level.lastWhen);
  return at < 0 ? undefined : at;
}

const describeLevel = (level: MigrationLevel) => level.lastTag ?? `${level.count} migrations`;

async function emptyOrThrow(client: pg.Client, tables: TableInfo[]): Promise<void> {
  for (const t of tables) {
    const { rows } = await client.query(`select 1 from ${ident(t.name)} limit 1`);
    if (rows.length) throw new Error(`the database is not empty (table ${t.name} has rows): restore into a new, empty database`);
  }
}

export async function restoreBackup(file: string, opts: { url?: string } = {}): Promise<RestoreSummary> {
  const url = connectionConfig("long", opts.url).connectionString!;
  const input = openSections(file);
  const manifest = manifestSchema.parse(await input.readJson());
  const client = await openPortableConnection(url);
  let staging: string | undefined;
  // what a failure leaves behind: nothing yet, an empty schema, or the rows without the later migrations
  let stage: "schema" | "rows" | "after" = "schema";
  try {
    // 1. the schema, at the backup's level, over nothing (or over an interrupted restore's empty schema)
    const current = await databaseLevel(client);
    if (current.count === 0) {
      const { rows } = await client.query<{ n: number }>("select count(*)::int as n from pg_tables where schemaname = 'public'");
      if (rows[0]!.n > 0) throw new Error("the database has tables but no Arbiter migrations: restore into a new, empty database");
      await migrateTo(url, manifest.migrations);
    } else if (current.lastWhen !== manifest.migrations.lastWhen) {
      const [here, wanted] = [position(current), position(manifest.migrations)];
      const mismatch = `the database's schema (${describeLevel(current)}) is not the backup's (${manifest.migrations.lastTag ?? "none"})`;
      if (!(await isEmpty(client, await tablesInDependencyOrder(client)))) throw new Error(`${mismatch}: restore into a new, empty database`);
      if (here === undefined || wanted === undefined || here > wanted) {
        throw new Error(
          `${mismatch}, and it is empty (an interrupted restore, or a start that only built the schema) but newer than the backup, and a schema cannot be taken back: restore into a new, empty database, or empty this one first (drop schema public cascade; create schema public; drop schema drizzle cascade)`,
        );
      }
      await migrateTo(url, manifest.migrations); // an empty schema at an older level: forward to the backup's
    }
    const tables = await tablesInDependencyOrder(client);
    const byName = new Map(tables.map((t) => [t.name, t]));
    await emptyOrThrow(client, tables);

    // 2. the rows, in one transaction
    stage = "rows";
    await client.query("begin");
    const rows: Record<string, number> = {};
    let header = await input.readJson<Record<string, unknown>>();
    while ("table" in header) {
      const { table, columns } = tableHeaderSchema.parse(header);
      const target = byName.get(table);
      if (!target) throw new Error(`the backup has a table this schema does not: ${table}`);
      const unknown = columns.filter((c) => !target.columns.includes(c));
      if (unknown.length) throw new Error(`${table}: columns this schema does not have: ${unknown.join(", ")}`);
      rows[table] = await copyRowsIn(client, input, table, columns);
      header = await input.readJson();
    }
    await resetSequences(client, tables);
    await client.query("update rounds set status = 'failed', error = $1, finished_at = now() where status in ('queued', 'running')", [INTERRUPTED_BY_RESTORE]);

    // 3. the artifacts' files, staged and checked before anything is committed
    staging = stagingFolder();
    let files = 0;
    while ("file" in header) {
      await readArtifactFile(input, fileHeaderSchema.parse(header) satisfies FileHeader, staging);
      files++;
      header = await input.readJson();
    }
    const end = endSchema.parse(header);
    if (end.tables !== Object.keys(rows).length || end.files !== files) throw new Error("the backup's last line does not match what it holds (damaged?)");
    if ((await input.readLine()) !== null) throw new Error("there is more after the backup's last line (damaged?)");
    await client.query("commit");
    stage = "after";
    moveStagedIntoPlace(staging);
    staging = undefined;

    // 4. the migrations that came after the backup, and statistics for the planner
    await runMigrations(url);
    await client.query("analyze");
    const { rows: artifacts } = await client.query<ArtifactRow>("select id, path, sha256 from model_artifacts order by id");
    return { createdAt: manifest.createdAt, tables: Object.keys(rows).length, rows, files, problems: await checkRegisteredHashes(artifacts) };
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw new Error(`${err instanceof Error ? err.message : String(err)}${whatIsLeft(stage, await databaseLevel(client).catch(() => undefined))}`, { cause: err });
  } finally {
    if (staging) rmSync(staging, { recursive: true, force: true });
    await client.end().catch(() => {});
  }
}

/** What an interrupted restore leaves, for its error message: the next step is never a guess. */
function whatIsLeft(stage: "schema" | "rows" | "after", level: MigrationLevel | undefined): string {
  if (stage === "rows") {
    return `. Nothing was restored: the rows' transaction rolled back${level && level.count > 0 ? `, leaving Arbiter's schema (${describeLevel(level)}) with no rows` : ""}. Run the restore again once the cause is fixed, with this backup or another: it takes that empty schema`;
  }
  if (stage === "after") return ". The rows and files are restored (committed); the migrations after the backup's level did not all run: npm start or any arbiter command applies them";
  return "";
}
