// `arbiter backup FILE` and `arbiter restore FILE` (lib/backup): the whole installation to
// one portable file and back into an empty database.
import { parseArgs } from "node:util";
import { writeBackup } from "@/lib/backup/backup";
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
