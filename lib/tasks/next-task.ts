// GET /projects/:id/tasks/next: hand an annotator a comparison that still needs
// judgments, that they have not judged or skipped, and whose open slots are not all
// leased to others. Concurrency: the candidate row is locked FOR UPDATE SKIP LOCKED, then
// its slots are recounted in a new statement (a fresh snapshot under READ COMMITTED).
// Every lease and judgment is written under that same row lock, so the recount sees
// every committed lease and two annotators can never take the last slot together.
import { and, asc, eq, gt, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { comparisonResponses, comparisons, projectMembers, prompts, responses, taskLeases, type Message, type Project, type User } from "@/lib/db/schema";
import type { Tx } from "@/lib/import/write-batch";
import { shuffled } from "./shuffle";

export const MAX_ACTIVE_LEASES = 3; // the one on screen, a prefetched one, and slack for a retry
const CANDIDATE_TRIES = 8;

export type Task = {
  comparisonId: string;
  prompt: Message[];
  responses: { id: string; text: string }[];
  leaseExpiresAt: string;
};

type Kind = "reserved" | "open" | "gold";

/** One candidate comparison id, locked, or null. */
async function lockCandidate(tx: Tx, kind: Kind, project: Project, me: User, group: string | null, skip: string[]): Promise<string | null> {
  const notMine = sql`
    and not exists (select 1 from judgments j where j.comparison_id = c.id and j.annotator_id = ${me.id})
    and not exists (select 1 from skips s where s.comparison_id = c.id and s.annotator_id = ${me.id})
    and not exists (select 1 from task_leases l where l.comparison_id = c.id and l.annotator_id = ${me.id} and l.expires_at > now())
    ${skip.length ? sql`and c.id not in (${sql.join(skip.map((id) => sql`${id}::uuid`), sql`, `)})` : sql``}`;
  const slotsLeft = sql`c.judgment_count + (select count(*) from task_leases l where l.comparison_id = c.id and l.expires_at > now()) < c.required`;
  const query =
    kind === "gold"
      ? sql`select c.id from comparisons c
            where c.project_id = ${project.id} and c.is_gold
              and c.reserved_for_user is null and c.reserved_for_group is null ${notMine}
            order by c.created_at, c.id limit 1 for update of c skip locked`
      : kind === "reserved"
        ? sql`select c.id from comparisons c
              where c.project_id = ${project.id} and not c.is_gold
                and (c.reserved_for_user is not null or c.reserved_for_group is not null)
                and (c.reserved_for_user = ${me.id} or c.reserved_for_group = ${group})
                and c.judgment_count < c.required and ${slotsLeft} ${notMine}
              order by c.judgment_count desc, c.created_at, c.id limit 1 for update of c skip locked`
        : sql`select c.id from comparisons c
              where c.project_id = ${project.id} and not c.is_gold
                and c.reserved_for_user is null and c.reserved_for_group is null
                and c.judgment_count < c.required and ${slotsLeft} ${notMine}
              order by c.judgment_count desc, c.created_at, c.id limit 1 for update of c skip locked`;
  const { rows } = await tx.execute<{ id: string }>(query);
  return rows[0]?.id ?? null;
}

/** Recount under the row lock, in a new statement: are slots still free for one more lease? */
async function hasFreeSlot(tx: Tx, comparisonId: string): Promise<boolean> {
  const { rows } = await tx.execute<{ free: boolean }>(sql`
    select c.is_gold or c.judgment_count
      + (select count(*) from task_leases l where l.comparison_id = c.id and l.expires_at > now()) < c.required as free
    from comparisons c where c.id = ${comparisonId}`);
  return rows[0]?.free === true;
}

async function taskFor(tx: Tx, comparisonId: string, shownOrder: string[], expiresAt: Date): Promise<Task> {
  const [c] = await tx
    .select({ messages: prompts.messages })
    .from(comparisons)
    .innerJoin(prompts, eq(prompts.id, comparisons.promptId))
    .where(eq(comparisons.id, comparisonId));
  const texts = await tx
    .select({ id: responses.id, text: responses.text })
    .from(comparisonResponses)
    .innerJoin(responses, eq(responses.id, comparisonResponses.responseId))
    .where(eq(comparisonResponses.comparisonId, comparisonId));
  const byId = new Map(texts.map((r) => [r.id, r.text]));
  return {
    comparisonId,
    prompt: c!.messages,
    responses: shownOrder.map((id) => ({ id, text: byId.get(id)! })),
    leaseExpiresAt: expiresAt.toISOString(),
  };
}

export async function nextTask(project: Project, me: User, opts: { exclude?: string[] } = {}): Promise<Task | null> {
  const exclude = opts.exclude ?? [];
  return getDb().transaction(async (tx) => {
    // A lease this annotator already holds (a reload, a retried request) comes back first.
    const held = await tx
      .select({ comparisonId: taskLeases.comparisonId, shownOrder: taskLeases.shownOrder, expiresAt: taskLeases.expiresAt })
      .from(taskLeases)
      .innerJoin(comparisons, eq(comparisons.id, taskLeases.comparisonId))
      .where(and(eq(taskLeases.annotatorId, me.id), eq(comparisons.projectId, project.id), gt(taskLeases.expiresAt, sql`now()`)))
      .orderBy(asc(taskLeases.createdAt));
    const resumable = held.find((l) => !exclude.includes(l.comparisonId));
    if (resumable) return taskFor(tx, resumable.comparisonId, resumable.shownOrder, resumable.expiresAt);
    if (held.length >= MAX_ACTIVE_LEASES) return null;

    const [membership] = await tx
      .select({ group: projectMembers.groupName })
      .from(projectMembers)
      .where(and(eq(projectMembers.projectId, project.id), eq(projectMembers.userId, me.id)));
    const group = membership?.group ?? null;
    const kinds: Kind[] = project.goldRate > 0 && Math.random() < project.goldRate ? ["gold", "reserved", "open"] : ["reserved", "open"];
    const passedOver = [...exclude];
    for (const kind of kinds) {
      for (let attempt = 0; attempt < CANDIDATE_TRIES; attempt++) {
        const id = await lockCandidate(tx, kind, project, me, group, passedOver);
        if (!id) break;
        if (!(await hasFreeSlot(tx, id))) {
          passedOver.push(id);
          continue;
        }
        const ids = await tx
          .select({ id: comparisonResponses.responseId })
          .from(comparisonResponses)
          .where(eq(comparisonResponses.comparisonId, id));
        const shownOrder = shuffled(ids.map((r) => r.id));
        const expiresAt = new Date(Date.now() + project.leaseSeconds * 1000);
        // An expired lease of mine on this comparison is replaced, not duplicated.
        await tx
          .insert(taskLeases)
          .values({ comparisonId: id, annotatorId: me.id, shownOrder, expiresAt })
          .onConflictDoUpdate({ target: [taskLeases.comparisonId, taskLeases.annotatorId], set: { shownOrder, expiresAt, createdAt: new Date() } });
        return taskFor(tx, id, shownOrder, expiresAt);
      }
    }
    return null;
  });
}

/** Leases past their expiry hold nothing (every count filters on expires_at); this only tidies. */
export async function deleteExpiredLeases(projectId?: string): Promise<number> {
  const db = getDb();
  const where = projectId
    ? and(sql`${taskLeases.expiresAt} <= now()`, sql`${taskLeases.comparisonId} in (select id from comparisons where project_id = ${projectId})`)
    : sql`${taskLeases.expiresAt} <= now()`;
  const deleted = await db.delete(taskLeases).where(where).returning({ id: taskLeases.comparisonId });
  return deleted.length;
}
