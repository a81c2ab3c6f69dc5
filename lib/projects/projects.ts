// Projects and their members. Server-only.
import { and, asc, count, eq, inArray, isNull, sql } from "drizzle-orm";
import { ApiError } from "@/lib/api/errors";
import { isUuid } from "@/lib/api/uuid-param";
import { getDb } from "@/lib/db/client";
import { preparedOnce } from "@/lib/db/prepared";
import { comparisons, judgments, projectMembers, projects, users, type Project, type User } from "@/lib/db/schema";
import { can } from "@/lib/auth/permissions";
import { AccessCache, notifyAccessChanged } from "@/lib/cache/access-cache";
import { projectSettingsSchema, type ProjectPatch, type ProjectSettings } from "./settings";

export async function createProject(input: unknown, createdBy: string): Promise<Project> {
  const settings: ProjectSettings = projectSettingsSchema.parse(input);
  const [project] = await getDb()
    .insert(projects)
    .values({ ...settings, createdBy })
    .returning();
  return project!;
}

export async function getProject(id: string): Promise<Project | undefined> {
  if (!isUuid(id)) return undefined;
  const [project] = await getDb().select().from(projects).where(eq(projects.id, id));
  return project;
}

export async function listProjects(): Promise<Project[]> {
  return getDb().select().from(projects).orderBy(asc(projects.createdAt));
}

export async function updateProject(id: string, patch: ProjectPatch): Promise<Project> {
  return getDb().transaction(async (tx) => {
    const [current] = await tx.select().from(projects).where(eq(projects.id, id)).for("update");
    if (!current) throw new ApiError("not_found", "No such project");
    const merged = projectSettingsSchema.parse({
      name: patch.name ?? current.name,
      instructions: patch.instructions ?? current.instructions,
      mode: patch.mode ?? current.mode,
      k: patch.k ?? (patch.mode && patch.mode !== current.mode ? undefined : current.k),
      redundancy: patch.redundancy ?? current.redundancy,
      criteria: patch.criteria ?? current.criteria,
      allowTies: patch.allowTies ?? current.allowTies,
      requireRationale: patch.requireRationale ?? current.requireRationale,
      goldRate: patch.goldRate ?? current.goldRate,
      leaseSeconds: patch.leaseSeconds ?? current.leaseSeconds,
      roundThreshold: patch.roundThreshold === undefined ? current.roundThreshold : patch.roundThreshold,
      qualityBar: patch.qualityBar ?? current.qualityBar,
      roundSettings: patch.roundSettings ?? current.roundSettings,
    });
    if (merged.mode !== current.mode || merged.k !== current.k) {
      const [row] = await tx.select({ n: count() }).from(comparisons).where(eq(comparisons.projectId, id));
      if ((row?.n ?? 0) > 0) throw new ApiError("conflict", "Mode and k cannot change once the project has comparisons");
    }
    const [updated] = await tx
      .update(projects)
      .set({ ...merged, updatedAt: new Date() })
      .where(eq(projects.id, id))
      .returning();
    // every web process validates submits against its cached copy (projectForUser): all drop it on commit
    await notifyAccessChanged(tx);
    // Raising redundancy reopens comparisons for more judgments (not gold: those are per annotator).
    if (merged.redundancy !== current.redundancy) {
      await tx
        .update(comparisons)
        .set({ required: merged.redundancy, slotsLeasedUntil: null }) // new slots: the scan's hint is stale (drizzle/0006)
        .where(and(eq(comparisons.projectId, id), eq(comparisons.isGold, false)));
    }
    return updated!;
  });
}

// ---------------------------------------------------------------- membership

type ProjectForUser = Project & { memberGroup: string | null };

/**
 * projectForUser's answers for 2 s: every tasks/next asks it. Settings edits, member
 * additions (their group) and removals clear it in every process when they commit
 * (access-cache.ts); the 2 s bound what a process sees if it misses a notification
 * without losing its listening connection. A refusal is never cached, so a new member is
 * let in at once.
 */
const memberships = new AccessCache<string, ProjectForUser>(2_000);

const membershipQuery = preparedOnce((db) =>
  db
    .select({ project: projects, member: projectMembers.userId, group: projectMembers.groupName })
    .from(projects)
    .leftJoin(
      projectMembers,
      and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, sql.placeholder("userId")), isNull(projectMembers.removedAt)),
    )
    .where(eq(projects.id, sql.placeholder("projectId")))
    .prepare("projects.for-user"),
);

/** The project if `user` may work in it (admins: every project; annotators: their own), with their group. */
export async function projectForUser(projectId: string, user: User): Promise<ProjectForUser> {
  if (!isUuid(projectId)) throw new ApiError("not_found", "No such project");
  const found = await memberships.remember(`${projectId}:${user.id}:${user.role}`, async () => {
    const [row] = await membershipQuery().execute({ projectId, userId: user.id });
    if (!row) throw new ApiError("not_found", "No such project");
    if (!row.member && !can(user.role, "projects.manage")) throw new ApiError("forbidden", "You are not a member of this project");
    return { ...row.project, memberGroup: row.group };
  });
  return found!;
}

export async function addMembers(projectId: string, emails: string[], groupName: string | null = null): Promise<{ added: string[]; unknown: string[] }> {
  const wanted = [...new Set(emails.map((e) => e.trim().toLowerCase()).filter(Boolean))];
  if (wanted.length === 0) return { added: [], unknown: [] };
  const found = await getDb().select().from(users).where(inArray(users.email, wanted));
  if (found.length > 0) {
    await getDb().transaction(async (tx) => {
      await tx
        .insert(projectMembers)
        .values(found.map((u) => ({ projectId, userId: u.id, groupName })))
        .onConflictDoUpdate({ target: [projectMembers.projectId, projectMembers.userId], set: { groupName, removedAt: null } });
      await notifyAccessChanged(tx); // a changed group: every process's cached membership holds the old one
    });
  }
  const foundEmails = new Set(found.map((u) => u.email));
  return { added: [...foundEmails], unknown: wanted.filter((e) => !foundEmails.has(e)) };
}

/** Quality exclusion: the member's judgments stay stored but leave statistics, training and exports. */
export async function setExcluded(projectId: string, userId: string, excluded: boolean): Promise<boolean> {
  const rows = await getDb()
    .update(projectMembers)
    .set({ excludedAt: excluded ? new Date() : null })
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)))
    .returning({ userId: projectMembers.userId });
  memberships.clear();
  return rows.length > 0;
}

export type MemberRow = { userId: string; email: string; name: string | null; groupName: string | null; excluded: boolean };

export async function listMembers(projectId: string): Promise<MemberRow[]> {
  return getDb()
    .select({
      userId: users.id,
      email: users.email,
      name: users.name,
      groupName: projectMembers.groupName,
      excluded: sql<boolean>`${projectMembers.excludedAt} is not null`,
    })
    .from(projectMembers)
    .innerJoin(users, eq(users.id, projectMembers.userId))
    .where(and(eq(projectMembers.projectId, projectId), isNull(projectMembers.removedAt)))
    .orderBy(asc(users.email));
}

export async function projectsOfUser(userId: string): Promise<Project[]> {
  const rows = await getDb()
    .select({ project: projects })
    .from(projectMembers)
    .innerJoin(projects, eq(projects.id, projectMembers.projectId))
    .where(and(eq(projectMembers.userId, userId), isNull(projectMembers.removedAt)))
    .orderBy(asc(projects.createdAt));
  return rows.map((r) => r.project);
}

// ---------------------------------------------------------------- progress

export type ProjectProgress = {
  comparisons: number;
  complete: number;
  gold: number;
  judgmentsNeeded: number;
  judgments: number;
  judgmentsLastHour: number;
};

export async function projectProgress(projectId: string): Promise<ProjectProgress> {
  const db = getDb();
  const [c] = await db
    .select({
      comparisons: sql<number>`count(*) filter (where not ${comparisons.isGold})::int`,
      complete: sql<number>`count(*) filter (where not ${comparisons.isGold} and ${comparisons.judgmentCount} >= ${comparisons.required})::int`,
      gold: sql<number>`count(*) filter (where ${comparisons.isGold})::int`,
      needed: sql<number>`coalesce(sum(${comparisons.required}) filter (where not ${comparisons.isGold}), 0)::int`,
      have: sql<number>`coalesce(sum(least(${comparisons.judgmentCount}, ${comparisons.required})) filter (where not ${comparisons.isGold}), 0)::int`,
    })
    .from(comparisons)
    .where(eq(comparisons.projectId, projectId));
  const [j] = await db
    .select({
      all: sql<number>`count(*)::int`,
      lastHour: sql<number>`count(*) filter (where ${judgments.createdAt} >= now() - interval '1 hour')::int`,
    })
    .from(judgments)
    .where(eq(judgments.projectId, projectId));
  return {
    comparisons: c?.comparisons ?? 0,
    complete: c?.complete ?? 0,
    gold: c?.gold ?? 0,
    judgmentsNeeded: c?.needed ?? 0,
    judgments: j?.all ?? 0,
    judgmentsLastHour: j?.lastHour ?? 0,
  };
}

export function toPublicProject(p: Project) {
  return {
    id: p.id,
    name: p.name,
    instructions: p.instructions,
    mode: p.mode,
    k: p.k,
    redundancy: p.redundancy,
    criteria: p.criteria,
    allowTies: p.allowTies,
    requireRationale: p.requireRationale,
    goldRate: p.goldRate,
    leaseSeconds: p.leaseSeconds,
    roundThreshold: p.roundThreshold,
    qualityBar: p.qualityBar,
    roundSettings: p.roundSettings,
    createdAt: p.createdAt.toISOString(),
  };
}

