// `arbiter backup FILE`: the whole installation as one portable file (section-stream.ts):
// a manifest with the schema's migration level, every application table's rows in
// foreign-key order as COPY text (readable by any PostgreSQL version, on any machine, no
// pg_dump needed), and the model artifacts' files with their SHA-256 (or only their names
// and hashes with `includeArtifacts: false`). One REPEATABLE READ transaction: the rows
// are one consistent moment however long the backup takes, while the platform keeps
// running.
import { createWriteStream, renameSync, rmSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { to as copyTo } from "pg-copy-streams";
import pkg from "@/package.json";
import { writeArtifactFiles, type ArtifactProblem, type ArtifactRow } from "./artifact-files";
import { ident, tablesInDependencyOrder, type TableInfo } from "./catalog";
import { databaseLevel, type MigrationLevel } from "./migration-level";
import { SectionWriter } from "./section-stream";
import { openPortableConnection } from "./portable-session";

export const BACKUP_FORMAT = "arbiter-backup";

export type BackupManifest = {
  format: typeof BACKUP_FORMAT;
  version: 1;
  createdAt: string;
  arbiterVersion: string;
  postgresVersion: string;
  migrations: MigrationLevel;
  tables: string[];
  artifacts: "included" | "referenced";
};

export type BackupSummary = { tables: number; rows: Record<string, number>; files: number; problems: ArtifactProblem[] };

/** COPY of a table's columns in primary-key order (the same data gives the same bytes). */
export function copyOut(t: TableInfo, where = ""): string {
  const cols = t.columns.map(ident).join(", ");
  const order = t.primaryKey.length ? ` order by ${t.primaryKey.map(ident).join(", ")}` : "";
  return `copy (select ${cols} from ${ident(t.name)}${where ? ` where ${where}` : ""}${order}) to stdout`;
}

export async function writeBackup(file: string, opts: { url?: string; includeArtifacts: boolean }): Promise<BackupSummary> {
  const client = await openPortableConnection(opts.url);
  const gzip = createGzip({ level: 3 });
  const partial = `${file}.partial`; // renamed when complete: a failed backup leaves no file that looks whole
  const written = pipeline(gzip, createWriteStream(partial));
  const out = new SectionWriter(gzip, written);
  try {
    await client.query("begin isolation level repeatable read read only");
    const tables = await tablesInDependencyOrder(client);
    const { rows: version } = await client.query<{ v: string }>("show server_version");
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      version: 1,
      createdAt: new Date().toISOString(),
      arbiterVersion: pkg.version,
      postgresVersion: version[0]!.v,
      migrations: await databaseLevel(client),
      tables: tables.map((t) => t.name),
      artifacts: opts.includeArtifacts ? "included" : "referenced",
    };
    await out.line(manifest);
    const rows: Record<string, number> = {};
    for (const t of tables) {
      await out.line({ table: t.name, columns: t.columns });
      const copy = client.query(copyTo(copyOut(t)));
      rows[t.name] = await out.rows(copy, () => copy.rowCount);
    }
    const { rows: artifacts } = await client.query<ArtifactRow>("select id, path, sha256 from model_artifacts order by id");
    const { files, problems } = await writeArtifactFiles(out, artifacts, opts.includeArtifacts);
    await out.line({ end: true, tables: tables.length, files });
    await client.query("commit");
    await out.end();
    await written;
    renameSync(partial, file);
    return { tables: tables.length, rows, files, problems };
  } catch (err) {
    gzip.destroy();
    await written.catch(() => {});
    rmSync(partial, { force: true });
    throw err;
  } finally {
    await client.end().catch(() => {});
  }
}
