// What a bundle import refuses before anything is written: a bundle is a file from
// elsewhere, so nothing in it is trusted. Every row must be one the export would have
// written for the manifest's project (bundle-scope.ts, over the loaded temporary tables),
// and every reference must point at a row of the bundle; so a crafted bundle cannot add
// members, judgments, rounds or artifacts to another project, nor point rows at users it
// does not carry. Artifacts' folders, and the files a bundle brings, must lie inside the
// project's own folder under an artifact of the bundle.
import path from "node:path";
import type pg from "pg";
import { checkpointPath } from "@/lib/models/paths";
import { bundleScope, projectLiteral } from "./bundle-scope";
import { ident } from "./catalog";

export const bundleTemp = (table: string) => ident(`bundle_${table}`);

type ForeignKey = { table: string; references: string; columns: string[]; refColumns: string[] };

async function foreignKeys(client: pg.Client): Promise<ForeignKey[]> {
  const { rows } = await client.query<ForeignKey>(
    `select c.conrelid::regclass::text as table, c.confrelid::regclass::text as references,
            array(select a.attname::text from unnest(c.conkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.o) as columns,
            array(select a.attname::text from unnest(c.confkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.o) as "refColumns"
       from pg_constraint c join pg_namespace n on n.oid = c.connamespace and n.nspname = 'public'
      where c.contype = 'f'`,
  );
  const unquote = (t: string) => t.replace(/^public\./, "").replace(/^"(.*)"$/, "$1");
  return rows.map((r) => ({ ...r, table: unquote(r.table), references: unquote(r.references) }));
}

/**
 * Throws, naming what is wrong, unless every loaded row belongs to `projectId`. Creates an
 * empty temporary table for each bundle table the file leaves out (so references to it are
 * refused too).
 */
export async function refuseRowsOutsideProject(client: pg.Client, projectId: string, loaded: string[]): Promise<void> {
  const scope = bundleScope(projectLiteral(projectId), (t) => bundleTemp(t));
  const foreign = loaded.filter((t) => !(t in scope));
  if (foreign.length) throw new Error(`the bundle holds tables a project bundle does not carry: ${foreign.join(", ")}`);
  for (const t of Object.keys(scope)) {
    if (!loaded.includes(t)) await client.query(`create temp table ${bundleTemp(t)} (like ${ident(t)} including defaults) on commit drop`);
  }
  const problems: string[] = [];
  for (const t of loaded) {
    // `is not true`: a clause over a NULL (an unset reference) must not let a row through
    const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from ${bundleTemp(t)} where (${scope[t]}) is not true`);
    if (rows[0]!.n) problems.push(`${rows[0]!.n} ${t} row(s) not of project ${projectId}`);
  }
  for (const fk of await foreignKeys(client)) {
    if (!loaded.includes(fk.table)) continue;
    const set = fk.columns.map((c) => `t.${ident(c)} is not null`).join(" and ");
    if (!(fk.references in scope)) {
      const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from ${bundleTemp(fk.table)} t where ${set}`);
      if (rows[0]!.n) problems.push(`${rows[0]!.n} ${fk.table} row(s) point at ${fk.references}, which a bundle does not carry`);
      continue;
    }
    const match = fk.columns.map((c, i) => `r.${ident(fk.refColumns[i]!)} = t.${ident(c)}`).join(" and ");
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from ${bundleTemp(fk.table)} t where ${set} and not exists (select 1 from ${bundleTemp(fk.references)} r where ${match})`,
    );
    if (rows[0]!.n) problems.push(`${rows[0]!.n} ${fk.table} row(s) point at ${fk.references} rows the bundle does not hold (${fk.columns.join(", ")})`);
  }
  const projectDir = checkpointPath(projectId);
  const { rows: artifacts } = await client.query<{ path: string }>(`select path from ${bundleTemp("model_artifacts")}`);
  for (const a of artifacts) if (!insideFolder(a.path, projectDir)) problems.push(`model artifact path ${a.path} is not inside the project's folder ${projectId}/`);
  if (problems.length) throw new Error(`refused: the bundle holds rows outside project ${projectId}; nothing was imported: ${problems.join("; ")}`);
}

function insideFolder(relative: string, folder: string): boolean {
  try {
    return checkpointPath(relative).startsWith(folder + path.sep);
  } catch {
    return false; // leaves the checkpoint root
  }
}

/** Throws unless `file` lies inside the folder of one of the bundle's artifacts (checked by refuseRowsOutsideProject). */
export function refuseFileOutsideArtifacts(file: string, artifactPaths: string[]): void {
  if (!artifactPaths.some((a) => insideFolder(file, checkpointPath(a)))) {
    throw new Error(`refused: the bundle's file ${file} is not inside the folder of one of its model artifacts; nothing was imported`);
  }
}
