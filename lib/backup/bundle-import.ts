// `arbiter project import`: a project bundle (bundle-export.ts) into this installation, in
// one transaction. The project keeps its ids, so a bundle imported into an installation
// that has none of its rows exports again byte for byte. Its users are matched: the same
// id is that user; else the same email is the user here (the bundle's rows are pointed at
// them); else the user is created as the bundle has them, without a password (they sign in
// after an admin resets it, or by SSO), and always as an annotator. Nothing in the file is
// trusted: rows outside the manifest's project, references to rows the bundle does not
// hold, files outside its artifacts' folders and files that would replace different ones
// here are refused before anything is written (bundle-checks.ts). Serial ids (round metrics) are kept unless taken
// here, then renumbered. Rounds that were queued or running are marked failed (their
// queue jobs stayed behind). Refused when the project is already here, or the bundle comes
// from a newer schema than this one.
import { existsSync, rmSync } from "node:fs";
import { z } from "zod";
import { checkpointPath } from "@/lib/models/paths";
import { moveStagedIntoPlace, readArtifactFile, sha256OfFile, stagingFolder } from "./artifact-files";
import { bundleTemp as temp, refuseFileOutsideArtifacts, refuseRowsOutsideProject } from "./bundle-checks";
import { BUNDLE_FORMAT, BUNDLE_USER_COLUMNS } from "./bundle-scope";
import { columnsReferencingUsers, ident, resetSequences, tablesInDependencyOrder } from "./catalog";
import { databaseLevel, journal } from "./migration-level";
import { copyRowsIn, fileHeaderSchema, openSections, tableHeaderSchema } from "./restore";
import { openPortableConnection } from "./portable-session";

const manifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(1),
  migrations: z.object({ count: z.number().int(), lastTag: z.string().nullable(), lastWhen: z.number().nullable() }),
  project: z.object({ id: z.uuid(), name: z.string() }),
  tables: z.array(z.string()),
});
const endSchema = z.object({ end: z.literal(true), tables: z.number().int(), files: z.number().int() });

export const INTERRUPTED_BY_IMPORT = "interrupted: the project was moved by a bundle while this round was queued or running";

export type BundleImportSummary = {
  projectId: string;
  name: string;
  rows: Record<string, number>;
  users: { matched: number; created: number };
  /** serial ids renumbered because this installation had them already */
  renumbered: string[];
  files: number;
  /** artifact files named in the bundle but neither in it nor here */
  missingFiles: string[];
};

export async function importProjectBundle(file: string, opts: { url?: string } = {}): Promise<BundleImportSummary> {
  const input = openSections(file);
  const manifest = manifestSchema.parse(await input.readJson());
  const client = await openPortableConnection(opts.url);
  let staging: string | undefined;
  try {
    const here = await databaseLevel(client);
    const bundleAt = manifest.migrations.lastWhen === null ? -1 : journal().findIndex((e) => e.when === manifest.migrations.lastWhen);
    if ((manifest.migrations.count > 0 && bundleAt < 0) || manifest.migrations.count > here.count) {
      throw new Error(`the bundle comes from a newer schema (${manifest.migrations.lastTag}) than this installation's (${here.lastTag}): upgrade Arbiter first`);
    }
    const tables = await tablesInDependencyOrder(client);
    const byName = new Map(tables.map((t) => [t.name, t]));

    await client.query("begin");
    const { rows: exists } = await client.query("select 1 from projects where id = $1", [manifest.project.id]);
    if (exists.length) throw new Error(`project ${manifest.project.id} (${manifest.project.name}) is already in this installation`);

    // 1. every section into a temporary table shaped like its table
    const loaded: { table: string; columns: string[] }[] = [];
    const rows: Record<string, number> = {};
    let header = await input.readJson<Record<string, unknown>>();
    while ("table" in header) {
      const { table, columns } = tableHeaderSchema.parse(header);
      const target = byName.get(table);
      if (!target) throw new Error(`the bundle has a table this schema does not: ${table}`);
      const unknown = columns.filter((c) => !target.columns.includes(c) || (table === "users" && !BUNDLE_USER_COLUMNS.includes(c)));
      if (unknown.length) throw new Error(`${table}: columns this schema does not take from a bundle: ${unknown.join(", ")}`);
      await client.query(`create temp table ${temp(table)} (like ${ident(table)} including defaults) on commit drop`);
      rows[table] = await copyRowsIn(client, input, `bundle_${table}`, columns);
      loaded.push({ table, columns });
      header = await input.readJson();
    }

    await refuseRowsOutsideProject(client, manifest.project.id, loaded.map((l) => l.table));

    // 2. users: the same id, else the same email, else a new account as the bundle has it
    await client.query("create temp table bundle_user_map (old uuid primary key, new uuid not null) on commit drop");
    await client.query("insert into bundle_user_map select b.id, u.id from bundle_users b join users u on u.id = b.id");
    await client.query(
      "insert into bundle_user_map select b.id, u.id from bundle_users b join users u on u.email = b.email where not exists (select 1 from bundle_user_map m where m.old = b.id)",
    );
    const matched = (await client.query<{ n: number }>("select count(*)::int as n from bundle_user_map")).rows[0]!.n;
    // never an admin here because a bundle says so
    const userCols = BUNDLE_USER_COLUMNS.map(ident).join(", ");
    const values = BUNDLE_USER_COLUMNS.map((c) => (c === "role" ? "'annotator'" : ident(c))).join(", ");
    const created = await client.query(
      `insert into users (${userCols}) select ${values} from bundle_users b where not exists (select 1 from bundle_user_map m where m.old = b.id)`,
    );
    for (const { table, column } of await columnsReferencingUsers(client)) {
      if (table === "users" || !(table in rows)) continue;
      await client.query(`update ${temp(table)} t set ${ident(column)} = m.new from bundle_user_map m where t.${ident(column)} = m.old and m.old <> m.new`);
    }

    // 3. serial ids taken here already: new ones from the sequence
    const renumbered: string[] = [];
    for (const { table } of loaded) {
      for (const c of byName.get(table)!.serial) {
        const { rows: clash } = await client.query(`select 1 from ${ident(table)} where ${ident(c)} in (select ${ident(c)} from ${temp(table)}) limit 1`);
        if (!clash.length) continue;
        // past every id here first: rows written with explicit ids do not move the sequence
        const { rows: seq } = await client.query<{ name: string }>("select pg_get_serial_sequence($1, $2) as name", [`public.${table}`, c]);
        await client.query(`select setval($1::regclass, greatest((select last_value from ${seq[0]!.name}), (select max(${ident(c)}) from ${ident(table)})))`, [seq[0]!.name]);
        await client.query(`update ${temp(table)} set ${ident(c)} = nextval($1::regclass)`, [seq[0]!.name]);
        renumbered.push(`${table}.${c}`);
      }
    }

    // 4. into the tables, in foreign-key order
    for (const { table, columns } of loaded) {
      if (table === "users") continue;
      const cols = columns.map(ident).join(", ");
      await client.query(`insert into ${ident(table)} (${cols}) select ${cols} from ${temp(table)}`);
    }
    await resetSequences(client, tables.filter((t) => t.name in rows));
    await client.query("update rounds set status = 'failed', error = $2, finished_at = now() where project_id = $1 and status in ('queued', 'running')", [
      manifest.project.id,
      INTERRUPTED_BY_IMPORT,
    ]);

    // 5. artifacts' files: those in the bundle staged and checked; those only named, noted when absent
    staging = stagingFolder();
    let files = 0;
    const missingFiles: string[] = [];
    const artifactPaths = (await client.query<{ path: string }>("select path from bundle_model_artifacts")).rows.map((r) => r.path);
    while ("file" in header) {
      const f = fileHeaderSchema.parse(header);
      refuseFileOutsideArtifacts(f.file, artifactPaths);
      const there = checkpointPath(f.file);
      if (f.included && existsSync(there) && (await sha256OfFile(there)) !== f.sha256) {
        throw new Error(`refused: the bundle's file ${f.file} would replace a different file at ${there}; nothing was imported`);
      }
      if (f.included) await readArtifactFile(input, f, staging);
      else if (existsSync(checkpointPath(f.file))) await readArtifactFile(input, f, staging); // there already: its hash must match
      else missingFiles.push(f.file);
      files++;
      header = await input.readJson();
    }
    const end = endSchema.parse(header);
    if (end.tables !== loaded.length || end.files !== files) throw new Error("the bundle's last line does not match what it holds (damaged?)");
    await client.query("commit");
    moveStagedIntoPlace(staging);
    staging = undefined;
    await client.query(`analyze ${loaded.map((l) => ident(l.table)).join(", ")}`);
    return {
      projectId: manifest.project.id,
      name: manifest.project.name,
      rows,
      users: { matched, created: created.rowCount ?? 0 },
      renumbered,
      files,
      missingFiles,
    };
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  } finally {
    if (staging) rmSync(staging, { recursive: true, force: true });
    await client.end().catch(() => {});
  }
}
