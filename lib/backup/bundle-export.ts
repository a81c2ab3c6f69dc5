// `arbiter project export`: one project as a bundle another installation can import
// (bundle-import.ts): its settings, members, prompts, responses, demonstrations,
// comparisons, judgments, skips, rounds with their metrics and the model artifacts'
// records, plus the users they point at; the artifacts' files too with
// `includeArtifacts`. The layout is a backup's (section-stream.ts); rows in primary-key
// order from one snapshot, so the same project gives the same sections.
import { createWriteStream, renameSync, rmSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { to as copyTo } from "pg-copy-streams";
import pkg from "@/package.json";
import { writeArtifactFiles, type ArtifactProblem, type ArtifactRow } from "./artifact-files";
import { copyOut } from "./backup";
import { BUNDLE_FORMAT, BUNDLE_USER_COLUMNS, bundleScope, projectLiteral } from "./bundle-scope";
import { tablesInDependencyOrder } from "./catalog";
import { databaseLevel, type MigrationLevel } from "./migration-level";
import { SectionWriter } from "./section-stream";
import { openPortableConnection } from "./portable-session";

export type BundleManifest = {
  format: typeof BUNDLE_FORMAT;
  version: 1;
  createdAt: string;
  arbiterVersion: string;
  migrations: MigrationLevel;
  project: { id: string; name: string };
  tables: string[];
  artifacts: "included" | "referenced";
};

export type BundleSummary = { rows: Record<string, number>; files: number; problems: ArtifactProblem[] };

export async function exportProjectBundle(projectId: string, file: string, opts: { url?: string; includeArtifacts: boolean }): Promise<BundleSummary> {
  const p = projectLiteral(projectId);
  const client = await openPortableConnection(opts.url);
  const gzip = createGzip({ level: 3 });
  const partial = `${file}.partial`;
  const written = pipeline(gzip, createWriteStream(partial));
  const out = new SectionWriter(gzip, written);
  try {
    await client.query("begin isolation level repeatable read read only");
    const { rows: found } = await client.query<{ name: string }>("select name from projects where id = $1", [projectId]);
    if (!found[0]) throw new Error(`no project with id ${projectId}`);
    const scope = bundleScope(p);
    const tables = (await tablesInDependencyOrder(client))
      .filter((t) => t.name in scope)
      .map((t) => (t.name === "users" ? { ...t, columns: BUNDLE_USER_COLUMNS } : t));
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT,
      version: 1,
      createdAt: new Date().toISOString(),
      arbiterVersion: pkg.version,
      migrations: await databaseLevel(client),
      project: { id: projectId, name: found[0].name },
      tables: tables.map((t) => t.name),
      artifacts: opts.includeArtifacts ? "included" : "referenced",
    };
    await out.line(manifest);
    const rows: Record<string, number> = {};
    for (const t of tables) {
      await out.line({ table: t.name, columns: t.columns });
      const copy = client.query(copyTo(copyOut(t, scope[t.name])));
      rows[t.name] = await out.rows(copy, () => copy.rowCount);
    }
    const { rows: artifacts } = await client.query<ArtifactRow>("select id, path, sha256 from model_artifacts where project_id = $1 order by id", [projectId]);
    const { files, problems } = await writeArtifactFiles(out, artifacts, opts.includeArtifacts);
    await out.line({ end: true, tables: tables.length, files });
    await client.query("commit");
    await out.end();
    await written;
    renameSync(partial, file);
    return { rows, files, problems };
  } catch (err) {
    gzip.destroy();
    await written.catch(() => {});
    rmSync(partial, { force: true });
    throw err;
  } finally {
    await client.end().catch(() => {});
  }
}
