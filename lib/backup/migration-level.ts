// Which of drizzle/'s migrations a database has: the schema a backup's rows belong to. A
// restore builds the schema to exactly that level, loads the rows, then applies the
// migrations after it, so a backup from an older Arbiter restores into a newer one with
// its data migrations run as they would have been.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type pg from "pg";
import { migrationsFolder, runMigrations } from "@/lib/db/migrate";

export type MigrationLevel = {
  /** migrations applied */
  count: number;
  /** the last one's journal tag (e.g. 0015_import_records) and date (drizzle's created_at) */
  lastTag: string | null;
  lastWhen: number | null;
};

type JournalEntry = { idx: number; when: number; tag: string };

export function journal(folder = migrationsFolder): JournalEntry[] {
  return (JSON.parse(readFileSync(path.join(folder, "meta", "_journal.json"), "utf8")) as { entries: JournalEntry[] }).entries;
}

/** The code's level: every migration in drizzle/. */
export function codeLevel(): MigrationLevel {
  const entries = journal();
  const last = entries.at(-1);
  return { count: entries.length, lastTag: last?.tag ?? null, lastWhen: last?.when ?? null };
}

/** The database's level, from drizzle's own table (none yet: count 0). */
export async function databaseLevel(db: Pick<pg.ClientBase, "query">): Promise<MigrationLevel> {
  const { rows: exists } = await db.query<{ t: string | null }>("select to_regclass('drizzle.__drizzle_migrations')::text as t");
  if (!exists[0]?.t) return { count: 0, lastTag: null, lastWhen: null };
  const { rows } = await db.query<{ count: number; last: string | null }>("select count(*)::int as count, max(created_at)::text as last from drizzle.__drizzle_migrations");
  const lastWhen = rows[0]!.last === null ? null : Number(rows[0]!.last);
  const tag = journal().find((e) => e.when === lastWhen)?.tag ?? null;
  return { count: rows[0]!.count, lastTag: tag, lastWhen };
}

/**
 * Applies the project's migrations up to and including the one `level` ends with (and no
 * further), through a copy of drizzle/ whose journal stops there.
 */
export async function migrateTo(url: string, level: MigrationLevel): Promise<void> {
  const entries = journal();
  const upTo = level.lastWhen === null ? -1 : entries.findIndex((e) => e.when === level.lastWhen);
  if (upTo < 0 && level.count > 0) throw new Error(`the backup's schema (${level.lastTag ?? "unknown migration"}) is not one this version of Arbiter knows: restore with the version that made it, or a newer one`);
  if (upTo + 1 !== level.count) throw new Error(`the backup says ${level.count} migrations, but ${level.lastTag} is number ${upTo + 1} here`);
  const folder = mkdtempSync(path.join(tmpdir(), "arbiter-migrations-"));
  try {
    cpSync(migrationsFolder, folder, { recursive: true });
    const journalFile = path.join(folder, "meta", "_journal.json");
    const whole = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: JournalEntry[] };
    writeFileSync(journalFile, JSON.stringify({ ...whole, entries: whole.entries.slice(0, upTo + 1) }));
    await runMigrations(url, folder);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
