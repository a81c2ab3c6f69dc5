// What a round's phases read and write besides their own work: the round's project, the
// newest artifact of a kind for it (a policy phase reads the reward model the round just
// trained, or the last one), and the row that records a saved folder.
import fs from "node:fs";
import path from "node:path";
import { and, desc, eq } from "drizzle-orm";
import type { Db, Tx } from "@/lib/db/client";
import { modelArtifacts, projects, type ModelArtifact, type Project, type Round } from "@/lib/db/schema";

export async function roundProject(db: Db, round: Round): Promise<Project> {
  const [project] = await db.select().from(projects).where(eq(projects.id, round.projectId));
  if (!project) throw new Error("the round's project no longer exists");
  return project;
}

export async function latestArtifact(db: Db, projectId: string, kind: ModelArtifact["kind"]): Promise<ModelArtifact | undefined> {
  const [row] = await db
    .select()
    .from(modelArtifacts)
    .where(and(eq(modelArtifacts.projectId, projectId), eq(modelArtifacts.kind, kind)))
    .orderBy(desc(modelArtifacts.createdAt))
    .limit(1);
  return row;
}

/** The weights' recorded SHA-256 when the artifact is a registered folder (checked when it is loaded), else undefined. */
export function registeredSha256(a: Pick<ModelArtifact, "config" | "sha256">): string | undefined {
  return a.config.registered === true && a.sha256 ? a.sha256 : undefined;
}

/** The recorded SHA-256 of the registered artifact at this path (relative to the checkpoint root), if there is one. */
export async function registeredSha256At(db: Db, relativePath: string): Promise<string | undefined> {
  const [row] = await db.select({ config: modelArtifacts.config, sha256: modelArtifacts.sha256 }).from(modelArtifacts).where(eq(modelArtifacts.path, relativePath)).limit(1);
  return row ? registeredSha256(row) : undefined;
}

export async function recordArtifact(
  db: Db | Tx,
  round: Round,
  a: { kind: ModelArtifact["kind"]; path: string; config: Record<string, unknown>; metrics: Record<string, number>; sizeBytes?: number; sha256?: string },
): Promise<string> {
  const [row] = await db
    .insert(modelArtifacts)
    .values({ projectId: round.projectId, roundId: round.id, judgmentWatermark: round.judgmentWatermark, ...a })
    .returning({ id: modelArtifacts.id });
  return row!.id;
}

/**
 * Writes a checkpoint folder under a temporary name and renames it into place, so a trainer
 * killed mid-write leaves a `.partial-*` folder (swept at the next write) and never a
 * half-written folder under the name an artifact row points at. The caller records the
 * artifact after this returns.
 */
export async function writeArtifactDir<T>(dir: string, write: (tmp: string) => Promise<T>): Promise<T> {
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  for (const f of fs.readdirSync(parent)) if (f.startsWith(`${path.basename(dir)}.partial-`)) fs.rmSync(path.join(parent, f), { recursive: true, force: true });
  const tmp = `${dir}.partial-${process.pid}`;
  const out = await write(tmp);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return out;
}
