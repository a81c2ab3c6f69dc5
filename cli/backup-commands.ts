// `arbiter backup FILE` and `arbiter restore FILE` (lib/backup): the whole installation to
// one portable file and back into an empty database; `arbiter project export|import`: one
// project as a bundle another installation can import.
import { parseArgs } from "node:util";
import { writeBackup } from "@/lib/backup/backup";
import { exportProjectBundle } from "@/lib/backup/bundle-export";
import { importProjectBundle } from "@/lib/backup/bundle-import";
import { restoreBackup } from "@/lib/backup/restore";
import { checkpointsDir } from "@/lib/models/paths";

function fileAndFlags(args: string[], booleans: string[]): { file: string; flags: Record<string, boolean> } {
  const { values, positionals } = parseArgs({ args, options: Object.fromEntries(booleans.map((b) => [b, { type: "boolean" as const }])), strict: true, allowPositionals: true });
  if (positionals.length !== 1) throw new Error("give one FILE");
  return { file: positionals[0]!, flags: values as Record<string, boolean> };
}

export async function backupCommand(args: string[]): Promise<void> {
  const { file, flags } = fileAndFlags(args, ["no-artifacts"]);
  const started = Date.now();
  const summary = await writeBackup(file, { includeArtifacts: !flags["no-artifacts"] });
  const rows = Object.values(summary.rows).reduce((a, b) => a + b, 0);
  const files = `${summary.files} artifact files${flags["no-artifacts"] ? " (names and SHA-256 only)" : ""}`;
  console.log(`backed up ${summary.tables} tables (${rows} rows) and ${files} to ${file} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const p of summary.problems) console.error(`warning: artifact ${p.artifactId} (${p.path}): ${p.problem}`);
}

export async function restoreCommand(args: string[]): Promise<void> {
  const { file } = fileAndFlags(args, []);
  const started = Date.now();
  const summary = await restoreBackup(file);
  const rows = Object.values(summary.rows).reduce((a, b) => a + b, 0);
  console.log(`restored the backup of ${summary.createdAt}: ${summary.tables} tables (${rows} rows), ${summary.files} artifact files under ${checkpointsDir()}, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const p of summary.problems) console.error(`warning: artifact ${p.artifactId} (${p.path}): ${p.problem}`);
}

function projectFlags(args: string[]) {
  return parseArgs({ args, options: { project: { type: "string" }, file: { type: "string" }, artifacts: { type: "boolean" } }, strict: true, allowPositionals: false }).values;
}

/** `arbiter project export --project ID --file F [--artifacts]`: one project as a bundle. */
export async function projectExportCommand(args: string[]): Promise<void> {
  const v = projectFlags(args);
  if (!v.project || !v.file) throw new Error("--project and --file are required");
  const summary = await exportProjectBundle(v.project, v.file, { includeArtifacts: v.artifacts === true });
  const counts = Object.entries(summary.rows).map(([t, n]) => `${t} ${n}`).join(", ");
  console.log(`project ${v.project} written to ${v.file}: ${counts}; ${summary.files} artifact files${v.artifacts ? "" : " named (not included: --artifacts)"}`);
  for (const p of summary.problems) console.error(`warning: artifact ${p.artifactId} (${p.path}): ${p.problem}`);
}

/** `arbiter project import --file F`: a bundle into this installation. */
export async function projectImportCommand(args: string[]): Promise<void> {
  const v = projectFlags(args);
  if (!v.file || v.project) throw new Error("--file is required (the project's id comes from the bundle)");
  const s = await importProjectBundle(v.file);
  console.log(`imported project ${s.name} (${s.projectId}): ${Object.entries(s.rows).map(([t, n]) => `${t} ${n}`).join(", ")}`);
  console.log(`users: ${s.users.matched} matched here by id or email, ${s.users.created} created without a password`);
  if (s.renumbered.length) console.log(`renumbered (taken here): ${s.renumbered.join(", ")}`);
  if (s.missingFiles.length) console.error(`warning: ${s.missingFiles.length} artifact files are not in the bundle nor under ${checkpointsDir()}: copy them to use those models`);
}
