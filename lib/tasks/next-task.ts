// GET /projects/:id/tasks/next: hand an annotator a comparison that still needs
// judgments, that they have not judged or skipped, and whose open slots are not all
// leased to others. Concurrency: the candidate row is locked FOR UPDATE SKIP LOCKED, then
// its slots are recounted in a new statement (a fresh snapshot under READ COMMITTED).
// Every lease and judgment is written under that same row lock, so the recount sees
// every committed lease and two annotators can never take the last slot together.
// Statements are named (lib/db/prepared.ts): their plans are reused across calls.
import type { Message, Project, User } from "@/lib/db/schema";
import { inTransaction, type Query } from "@/lib/db/prepared";
import { shuffled } from "./shuffle";

export const MAX_ACTIVE_LEASES = 3; // the one on screen, a prefetched one, and slack for a retry
const CANDIDATE_TRIES = 8;
/** Open comparisons are scanned in index order, this many at a time. */
const SCAN_BATCH = 200;
const MAX_SCAN_BATCHES = 50;

export type Task = {
  comparisonId: string;
  prompt: Message[];
  responses: { id: string; text: string }[];
  leaseExpiresAt: string;
};

type Kind = "reserved" | "open" | "gold";

// $me: the annotator, $skip: comparison ids passed over. Shared by every candidate query.
const NOT_MINE = (me: string, skip: string) => `
  and not exists (select 1 from judgments j where j.comparison_id = c.id and j.annotator_id = ${me})
  and not exists (select 1 from skips s where s.comparison_id = c.id and s.annotator_id = ${me})
  and not exists (select 1 from task_leases l where l.comparison_id = c.id and l.annotator_id = ${me} and l.expires_at > now())
  and not (c.id = any(${skip}::uuid[]))`;
const SLOTS_LEFT = `c.judgment_count + (select count(*) from task_leases l where l.comparison_id = c.id and l.expires_at > now()) < c.required`;

/**
 * One open comparison, locked. The per-annotator checks run on a batch taken in the
 * partial index's order (fewest judgments left first), never on the whole project: a
 * single query over every open comparison makes PostgreSQL check them all before sorting.
 */
const OPEN_CANDIDATE = `
  with batch as materialized (
    select c.id, c.judgment_count, c.created_at from comparisons c
    where c.project_id = $1 and c.judgment_count < c.required
      and not c.is_gold and c.reserved_for_user is null and c.reserved_for_group is null
    order by c.judgment_count desc nulls last, c.created_at
    limit ${SCAN_BATCH} offset $4),
  pick as (
    select c.id from batch b join comparisons c on c.id = b.id
    where ${SLOTS_LEFT} ${NOT_MINE("$2", "$3")}
    order by b.judgment_count desc nulls last, b.created_at
    limit 1 for update of c skip locked)
  select (select id from pick) as id, (select count(*)::int from batch) as scanned`;

const GOLD_CANDIDATE = `
  select c.id from comparisons c
  where c.project_id = $1 and c.is_gold and c.reserved_for_user is null and c.reserved_for_group is null
    ${NOT_MINE("$2", "$3")}
  order by c.created_at limit 1 for update of c skip locked`;

const RESERVED_CANDIDATE = `
  select c.id from comparisons c
  where c.project_id = $1 and not c.is_gold
    and (c.reserved_for_user is not null or c.reserved_for_group is not null)
    and (c.reserved_for_user = $2 or c.reserved_for_group = $4)
    and c.judgment_count < c.required and ${SLOTS_LEFT} ${NOT_MINE("$2", "$3")}
  order by c.judgment_count desc nulls last, c.created_at limit 1 for update of c skip locked`;

async function lockCandidate(q: Query, kind: Kind, project: Project, me: User, group: string | null, skip: string[]): Promise<string | null> {
  if (kind === "gold") return (await q<{ id: string }>("tasks.gold", GOLD_CANDIDATE, [project.id, me.id, skip]))[0]?.id ?? null;
  if (kind === "reserved") {
    return (await q<{ id: string }>("tasks.reserved", RESERVED_CANDIDATE, [project.id, me.id, skip, group]))[0]?.id ?? null;
  }
  for (let batch = 0; batch < MAX_SCAN_BATCHES; batch++) {
    const [row] = await q<{ id: string | null; scanned: number }>("tasks.open", OPEN_CANDIDATE, [project.id, me.id, skip, batch * SCAN_BATCH]);
    if (row?.id) return row.id;
    if (!row || row.scanned < SCAN_BATCH) return null; // the whole project has been looked at
  }
  return null;
}

/**
 * Recount under the row lock, in a new statement: are slots still free for one more lease?
 * Returns the comparison's response ids when they are, null when not.
 */
async function freeSlotResponses(q: Query, comparisonId: string): Promise<string[] | null> {
  const [row] = await q<{ free: boolean; ids: string[] }>(
    "tasks.recount",
    `select c.is_gold or c.judgment_count
       + (select count(*) from task_leases l where l.comparison_id = c.id and l.expires_at > now()) < c.required as free,
       array(select cr.response_id::text from comparison_responses cr where cr.comparison_id = c.id order by cr.position) as ids
     from comparisons c where c.id = $1`,
    [comparisonId],
  );
  return row?.free ? row.ids : null;
}

// The comparison's prompt and response texts. With a lease to write ($2..$4), the same
// statement writes it first (an expired lease of mine on this comparison is replaced, not
// duplicated): one round trip for both.
const CONTENT = `select p.messages,
    (select json_agg(json_build_object('id', r.id, 'text', r.text))
       from comparison_responses cr join responses r on r.id = cr.response_id
      where cr.comparison_id = c.id) as texts
  from comparisons c join prompts p on p.id = c.prompt_id where c.id = $1`;
const LEASE_AND_CONTENT = `with lease as (
    insert into task_leases (comparison_id, annotator_id, shown_order, expires_at) values ($1, $2, $3, $4)
    on conflict (comparison_id, annotator_id) do update set shown_order = excluded.shown_order, expires_at = excluded.expires_at, created_at = now())
  ${CONTENT}`;

async function taskFor(q: Query, comparisonId: string, shownOrder: string[], expiresAt: Date, lease?: { annotatorId: string }): Promise<Task> {
  const [row] = lease
    ? await q<{ messages: Message[]; texts: { id: string; text: string }[] }>("tasks.lease-content", LEASE_AND_CONTENT, [
        comparisonId,
        lease.annotatorId,
        JSON.stringify(shownOrder),
        expiresAt,
      ])
    : await q<{ messages: Message[]; texts: { id: string; text: string }[] }>("tasks.content", CONTENT, [comparisonId]);
  const byId = new Map(row!.texts.map((r) => [r.id, r.text]));
  return {
    comparisonId,
    prompt: row!.messages,
    responses: shownOrder.map((id) => ({ id, text: byId.get(id)! })),
    leaseExpiresAt: expiresAt.toISOString(),
  };
}

type ProjectWithGroup = Project & { memberGroup?: string | null };

/** `project.memberGroup`: the caller's group in the project (projectForUser gives it), for reservations. */
export async function nextTask(project: ProjectWithGroup, me: User, opts: { exclude?: string[] } = {}): Promise<Task | null> {
  // A lease is a soft reservation: losing one in a crash only returns the task to the
  // pool early, so its commit need not wait for the WAL flush (judgments always do).
  return inTransaction((q) => nextTaskIn(q, project, me, opts), { asyncCommit: true });
}

/** nextTask inside a transaction the caller holds (a submit that also hands out the next task). */
export async function nextTaskIn(q: Query, project: ProjectWithGroup, me: User, opts: { exclude?: string[] } = {}): Promise<Task | null> {
  const exclude = opts.exclude ?? [];
  // A lease this annotator already holds (a reload, a retried request) comes back first.
  const held = await q<{ comparison_id: string; shown_order: string[]; expires_at: Date }>(
    "tasks.held",
    `select l.comparison_id, l.shown_order, l.expires_at from task_leases l
     join comparisons c on c.id = l.comparison_id
     where l.annotator_id = $1 and c.project_id = $2 and l.expires_at > now()
     order by l.created_at`,
    [me.id, project.id],
  );
  const resumable = held.find((l) => !exclude.includes(l.comparison_id));
  if (resumable) return taskFor(q, resumable.comparison_id, resumable.shown_order, resumable.expires_at);
  if (held.length >= MAX_ACTIVE_LEASES) return null;

  const group = project.memberGroup ?? null;
  const kinds: Kind[] = project.goldRate > 0 && Math.random() < project.goldRate ? ["gold", "reserved", "open"] : ["reserved", "open"];
  const passedOver = [...exclude];
  for (const kind of kinds) {
    for (let attempt = 0; attempt < CANDIDATE_TRIES; attempt++) {
      const id = await lockCandidate(q, kind, project, me, group, passedOver);
      if (!id) break;
      const ids = await freeSlotResponses(q, id);
      if (!ids) {
        passedOver.push(id);
        continue;
      }
      const shownOrder = shuffled(ids);
      const expiresAt = new Date(Date.now() + project.leaseSeconds * 1000);
      return taskFor(q, id, shownOrder, expiresAt, { annotatorId: me.id });
    }
  }
  return null;
}
