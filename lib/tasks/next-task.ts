// GET /projects/:id/tasks/next: hand an annotator a comparison that still needs
// judgments, that they have not judged or skipped, and whose open slots are not all
// leased to others. Concurrency: the candidate row is locked FOR UPDATE SKIP LOCKED, then
// its slots are recounted in a new statement (a fresh snapshot under READ COMMITTED).
// Every lease and judgment is written under that same row lock, so the recount sees
// every committed lease and two annotators can never take the last slot together.
import { and, asc, eq, gt, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { comparisons, taskLeases, type Message, type Project, type User } from "@/lib/db/schema";
import type { Tx } from "@/lib/db/client";
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

/** Open comparisons are scanned in index order, this many at a time. */
const SCAN_BATCH = 200;
const MAX_SCAN_BATCHES = 50;

function conditionsFor(me: User, skip: string[]) {
  const notMine = sql`
    and not exists (select 1 from judgments j where j.comparison_id = c.id and j.annotator_id = ${me.id})
    and not exists (select 1 from skips s where s.comparison_id = c.id and s.annotator_id = ${me.id})
    and not exists (select 1 from task_leases l where l.comparison_id = c.id and l.annotator_id = ${me.id} and l.expires_at > now())
    ${skip.length ? sql`and c.id not in (${sql.join(skip.map((id) => sql`${id}::uuid`), sql`, `)})` : sql``}`;
  const slotsLeft = sql`c.judgment_count + (select count(*) from task_leases l where l.comparison_id = c.id and l.expires_at > now()) < c.required`;
  return { notMine, slotsLeft };
}

/**
 * One open comparison, locked. The per-annotator checks run on a batch taken in the
 * partial index's order (fewest judgments left first), never on the whole project: a
 * single query over every open comparison makes PostgreSQL check them all before sorting.
 */
async function lockOpenCandidate(tx: Tx, project: Project, me: User, skip: string[]): Promise<string | null> {
  const { notMine, slotsLeft } = conditionsFor(me, skip);
  for (let batch = 0; batch < MAX_SCAN_BATCHES; batch++) {
    const { rows } = await tx.execute<{ id: string | null; scanned: number }>(sql`
      with batch as materialized (
        select c.id, c.judgment_count, c.created_at from comparisons c
        where c.project_id = ${project.id} and c.judgment_count < c.required
          and not c.is_gold and c.reserved_for_user is null and c.reserved_for_group is null
        order by c.judgment_count desc nulls last, c.created_at
        limit ${SCAN_BATCH} offset ${batch * SCAN_BATCH}),
      pick as (
        select c.id from batch b join comparisons c on c.id = b.id
        where ${slotsLeft} ${notMine}
        order by b.judgment_count desc nulls last, b.created_at
        limit 1 for update of c skip locked)
      select (select id from pick) as id, (select count(*)::int from batch) as scanned`);
    const row = rows[0];
    if (row?.id) return row.id;
    if (!row || row.scanned < SCAN_BATCH) return null; // the whole project has been looked at
  }
  return null;
}

/** One reserved or gold comparison, locked: both are small sets, checked in one query. */
async function lockCandidate(tx: Tx, kind: Kind, project: Project, me: User, group: string | null, skip: string[]): Promise<string | null> {
  if (kind === "open") return lockOpenCandidate(tx, project, me, skip);
  const { notMine, slotsLeft } = conditionsFor(me, skip);
  const query =
    kind === "gold"
      ? sql`select c.id from comparisons c
            where c.project_id = ${project.id} and c.is_gold
              and c.reserved_for_user is null and c.reserved_for_group is null ${notMine}
            order by c.created_at limit 1 for update of c skip locked`
      : sql`select c.id from comparisons c
            where c.project_id = ${project.id} and not c.is_gold
              and (c.reserved_for_user is not null or c.reserved_for_group is not null)
              and (c.reserved_for_user = ${me.id} or c.reserved_for_group = ${group})
              and c.judgment_count < c.required and ${slotsLeft} ${notMine}
            order by c.judgment_count desc nulls last, c.created_at limit 1 for update of c skip locked`;
  const { rows } = await tx.execute<{ id: string }>(query);
  return rows[0]?.id ?? null;
}

/**
 * Recount under the row lock, in a new statement: are slots still free for one more lease?
 * Returns the comparison's response ids when they are, null when not.
 */
async function freeSlotResponses(tx: Tx, comparisonId: string): Promise<string[] | null> {
  const { rows } = await tx.execute<{ free: boolean; ids: string[] }>(sql`
    select c.is_gold or c.judgment_count
      + (select count(*) from task_leases l where l.comparison_id = c.id and l.expires_at > now()) < c.required as free,
      array(select cr.response_id from comparison_responses cr where cr.comparison_id = c.id order by cr.position)::text[] as ids
    from comparisons c where c.id = ${comparisonId}`);
  return rows[0]?.free ? rows[0].ids : null;
}

async function taskFor(tx: Tx, comparisonId: string, shownOrder: string[], expiresAt: Date): Promise<Task> {
  const { rows } = await tx.execute<{ messages: Message[]; texts: { id: string; text: string }[] }>(sql`
    select p.messages,
      (select json_agg(json_build_object('id', r.id, 'text', r.text))
         from comparison_responses cr join responses r on r.id = cr.response_id
        where cr.comparison_id = c.id) as texts
    from comparisons c join prompts p on p.id = c.prompt_id where c.id = ${comparisonId}`);
  const byId = new Map(rows[0]!.texts.map((r) => [r.id, r.text]));
  return {
    comparisonId,
    prompt: rows[0]!.messages,
    responses: shownOrder.map((id) => ({ id, text: byId.get(id)! })),
    leaseExpiresAt: expiresAt.toISOString(),
  };
}

/** `project.memberGroup`: the caller's group in the project (projectForUser gives it), for reservations. */
export async function nextTask(
  project: Project & { memberGroup?: string | null },
  me: User,
  opts: { exclude?: string[] } = {},
): Promise<Task | null> {
  const exclude = opts.exclude ?? [];
  return getDb().transaction(async (tx) => {
    // A lease is a soft reservation: losing one in a crash only returns the task to the
    // pool early, so its commit need not wait for the WAL flush (judgments always do).
    await tx.execute(sql`set local synchronous_commit = off`);
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

    const group = project.memberGroup ?? null;
    const kinds: Kind[] = project.goldRate > 0 && Math.random() < project.goldRate ? ["gold", "reserved", "open"] : ["reserved", "open"];
    const passedOver = [...exclude];
    for (const kind of kinds) {
      for (let attempt = 0; attempt < CANDIDATE_TRIES; attempt++) {
        const id = await lockCandidate(tx, kind, project, me, group, passedOver);
        if (!id) break;
        const ids = await freeSlotResponses(tx, id);
        if (!ids) {
          passedOver.push(id);
          continue;
        }
        const shownOrder = shuffled(ids);
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
