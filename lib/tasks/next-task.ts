// GET /projects/:id/tasks/next: hand an annotator a comparison that still needs
// judgments, that they have not judged or skipped, and whose open slots are not all
// leased to others. Concurrency: the candidate row is locked FOR UPDATE SKIP LOCKED, then
// its slots are recounted in a new statement (a fresh snapshot under READ COMMITTED).
// Every lease and judgment is written under that same row lock, so the recount sees
// every committed lease and two annotators can never take the last slot together.
// Gold comparisons come first at the project's gold rate, then work reserved for the
// annotator or their group, then open work; the shown order is shuffled per annotator.
// The steps run inside PostgreSQL as one function call (drizzle/0005, as rewritten in 0007):
// sent one statement at a time they cost six round trips, and the web process's work per
// statement was the largest part of a task's cost (BENCHMARKS.md).
import type { Message, Project, User } from "@/lib/db/schema";
import { inTransaction, type Query } from "@/lib/db/prepared";
import { rememberComparison } from "@/lib/comparisons/comparison-meta";

export const MAX_ACTIVE_LEASES = 3; // the one on screen, a prefetched one, and slack for a retry
const CANDIDATE_TRIES = 8;

export type Task = {
  comparisonId: string;
  prompt: Message[];
  responses: { id: string; text: string }[];
  leaseExpiresAt: string;
};

export type ProjectWithGroup = Project & { memberGroup?: string | null };

/** `project.memberGroup`: the caller's group in the project (projectForUser gives it), for reservations. */
export async function nextTask(project: ProjectWithGroup, me: User, opts: { exclude?: string[] } = {}): Promise<Task | null> {
  // A lease is a soft reservation: losing one in a crash only returns the task to the
  // pool early, so its commit need not wait for the WAL flush (judgments always do).
  return inTransaction((q) => nextTaskIn(q, project, me, opts), { asyncCommit: true });
}

/**
 * The assignment's parameters after project and annotator, as arbiter_next_task and
 * arbiter_submit_judgment (drizzle/0007) take them: group, gold first?, lease length,
 * then the limits above.
 */
export function assignmentParams(project: ProjectWithGroup): unknown[] {
  const goldFirst = project.goldRate > 0 && Math.random() < project.goldRate;
  return [project.memberGroup ?? null, goldFirst, project.leaseSeconds, MAX_ACTIVE_LEASES, CANDIDATE_TRIES];
}

/** Tasks handed out here record their comparison's project and responses, so the submit that follows needs no lookup. */
export function remember(task: Task | null, projectId: string): Task | null {
  if (task) rememberComparison(task.comparisonId, { projectId, responseIds: task.responses.map((r) => r.id) });
  return task;
}

/** nextTask inside a transaction the caller holds: one call of arbiter_next_task (drizzle/0005). */
export async function nextTaskIn(q: Query, project: ProjectWithGroup, me: User, opts: { exclude?: string[] } = {}): Promise<Task | null> {
  const [group, ...rest] = assignmentParams(project);
  const [row] = await q<{ task: Task | null }>(
    "tasks.next",
    "select arbiter_next_task($1, $2, $3, $4::uuid[], $5, $6, $7, $8) as task",
    [project.id, me.id, group, opts.exclude ?? [], ...rest],
  );
  return remember(row?.task ?? null, project.id);
}
