// Writes a batch of validated import records inside the caller's transaction: prompts →
// demonstrations → responses → comparisons (with their members) → imported judgments.
// Every insert is "on conflict do nothing" on a content key, so a record imported twice
// finds its rows instead of duplicating them.
//
// Built for speed (bench:import, BENCHMARKS.md): a statement per table per batch, not per
// record; each batch's values go as one array parameter per column, spread by unnest, so
// a statement's text and plan do not grow with the batch; and an insert returns the ids of
// the rows it made together with those of the rows already there (a union with the rows
// its snapshot sees), instead of a second look-up. A row that neither finds (committed by
// another transaction after the statement's snapshot was taken) is looked up again.
// Existing rows are found by "= any(array)" on a unique index, never by a join with the
// batch: the planner, with statistics from before the import, would hash-join the whole
// project's rows for every batch (quadratic in the import's size).
import { sql } from "drizzle-orm";
import type { Tx } from "@/lib/db/client";
import type { Message, Project } from "@/lib/db/schema";
import { formKSubsets, formPairs, responseKey } from "@/lib/comparisons/form-comparisons";
import { contentHash } from "@/lib/db/content-hash";
import type { ImportRecord } from "./records";

export type ImportCounts = { records: number; prompts: number; responses: number; comparisons: number; judgments: number; demonstrations: number };

export const emptyCounts = (): ImportCounts => ({ records: 0, prompts: 0, responses: 0, comparisons: 0, judgments: 0, demonstrations: 0 });

/** One array parameter (pg sends a JS array as a PostgreSQL array literal). */
const array = (values: unknown[]) => sql.param(values);
const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

type PlannedComparison = { promptId: string; ids: string[]; ranking?: string[][]; gold: boolean; bothBad?: boolean; criteria?: Record<string, string[][]> };

export async function writeBatch(
  tx: Tx,
  project: Project,
  records: ImportRecord[],
  importedAnnotator: string,
  counts: ImportCounts,
): Promise<void> {
  counts.records += records.length;

  // 1. prompts, keyed by a hash of the conversation
  const promptHash = records.map((r) => contentHash(JSON.stringify(r.messages)));
  const uniquePrompts = new Map(records.map((r, i) => [promptHash[i]!, r.messages]));
  const promptId = await writePrompts(tx, project.id, uniquePrompts, counts);

  // 2. demonstrations (SFT completions), keyed by (prompt, text hash); they form no comparisons
  const demos = new Map<string, { promptId: string; completion: string; source: string; contentHash: string }>();
  records.forEach((r, i) => {
    if (!r.demonstration) return;
    const pid = promptId.get(promptHash[i]!)!;
    const hash = contentHash(r.demonstration.text);
    demos.set(`${pid}\u0000${hash}`, { promptId: pid, completion: r.demonstration.text, source: r.demonstration.source, contentHash: hash });
  });
  if (demos.size > 0) {
    const d = [...demos.values()];
    const { rows } = await tx.execute<{ n: number }>(sql`
      with inserted as (
        insert into demonstrations (project_id, prompt_id, completion, source, content_hash)
        select ${project.id}, prompt_id, completion, source, content_hash
        from unnest(${array(d.map((x) => x.promptId))}::uuid[], ${array(d.map((x) => x.completion))}::text[],
          ${array(d.map((x) => x.source))}::text[], ${array(d.map((x) => x.contentHash))}::text[]) as t(prompt_id, completion, source, content_hash)
        on conflict do nothing returning 1)
      select count(*)::int as n from inserted`);
    counts.demonstrations += rows[0]!.n;
  }

  // 3. responses, keyed by (prompt, source, text hash)
  const textHash = new Map<string, string>(); // a text repeated in the batch is hashed once
  const hashOf = (text: string) => textHash.get(text) ?? textHash.set(text, contentHash(text)).get(text)!;
  const responseKeyOf = (pid: string, source: string, text: string) => `${pid}\u0000${source}\u0000${hashOf(text)}`;
  const wanted = new Map<string, WantedResponse>();
  records.forEach((r, i) => {
    const pid = promptId.get(promptHash[i]!)!;
    for (const resp of r.responses) {
      wanted.set(responseKeyOf(pid, resp.source, resp.text), { promptId: pid, text: resp.text, source: resp.source, contentHash: hashOf(resp.text), ratings: resp.ratings ?? null });
    }
  });
  const responseId = wanted.size > 0 ? await writeResponses(tx, wanted, counts) : new Map<string, string>();

  // 4. comparisons: explicit for preferences and rankings, formed for plain responses
  const planned: PlannedComparison[] = [];
  records.forEach((r, i) => {
    if (r.responses.length < 2) return;
    const pid = promptId.get(promptHash[i]!)!;
    const ids = r.responses.map((resp) => responseId.get(responseKeyOf(pid, resp.source, resp.text))!);
    if (r.ranking) {
      const toIds = (ranking: number[][]) => ranking.map((g) => g.map((idx) => ids[idx]!));
      const criteria = r.criteria && Object.fromEntries(Object.entries(r.criteria).map(([name, ranking]) => [name, toIds(ranking)]));
      planned.push({ promptId: pid, ids, gold: r.gold, ranking: toIds(r.ranking), bothBad: r.bothBad, criteria });
      return;
    }
    const candidates = [...new Set(ids)].map((id) => ({ id, text: r.responses[ids.indexOf(id)]!.text }));
    const sets = project.mode === "pairwise" ? formPairs(candidates) : formKSubsets(candidates, project.k);
    for (const set of sets) planned.push({ promptId: pid, ids: set, gold: false });
  });
  if (planned.length === 0) return;
  const byKey = new Map(planned.map((p) => [responseKey(p.ids), p]));
  await writeComparisons(tx, project, byKey, importedAnnotator, counts);
}

/** Inserts the prompts not there yet; returns every prompt's id by hash. */
async function writePrompts(tx: Tx, projectId: string, byHash: Map<string, Message[]>, counts: ImportCounts): Promise<Map<string, string>> {
  const hashes = [...byHash.keys()];
  const { rows } = await tx.execute<{ id: string; hash: string; made: boolean }>(sql`
    with input as (select * from unnest(${array(hashes)}::text[], ${array([...byHash.values()].map(json))}::jsonb[]) as t(hash, messages)),
    inserted as (
      insert into prompts (project_id, messages, content_hash) select ${projectId}, messages, hash from input
      on conflict do nothing returning id, content_hash)
    select id, content_hash as hash, true as made from inserted
    union all
    select id, content_hash, false from prompts where project_id = ${projectId} and content_hash = any(${array(hashes)}::text[])`);
  const ids = new Map(rows.map((r) => [r.hash, r.id]));
  counts.prompts += rows.filter((r) => r.made).length;
  const missing = hashes.filter((h) => !ids.has(h));
  if (missing.length > 0) {
    const again = await tx.execute<{ id: string; hash: string }>(sql`
      select id, content_hash as hash from prompts where project_id = ${projectId} and content_hash = any(${array(missing)}::text[])`);
    for (const r of again.rows) ids.set(r.hash, r.id);
  }
  return ids;
}

type WantedResponse = { promptId: string; text: string; source: string; contentHash: string; ratings: Record<string, number> | null };

/** Inserts the responses not there yet; returns every response's id by (prompt, source, hash) key. */
async function writeResponses(tx: Tx, wanted: Map<string, WantedResponse>, counts: ImportCounts): Promise<Map<string, string>> {
  const w = [...wanted.values()];
  const { rows } = await tx.execute<{ id: string; prompt_id: string; source: string; hash: string; made: boolean }>(sql`
    with input as (
      select * from unnest(${array(w.map((x) => x.promptId))}::uuid[], ${array(w.map((x) => x.text))}::text[], ${array(w.map((x) => x.source))}::text[],
        ${array(w.map((x) => x.contentHash))}::text[], ${array(w.map((x) => json(x.ratings)))}::jsonb[]) as t(prompt_id, text, source, hash, ratings)),
    inserted as (
      insert into responses (prompt_id, text, source, content_hash, ratings) select prompt_id, text, source, hash, ratings from input
      on conflict do nothing returning id, prompt_id, source, content_hash)
    select id, prompt_id, source, content_hash as hash, true as made from inserted
    union all
    select id, prompt_id, source, content_hash, false from responses
    where prompt_id = any(${array([...new Set(w.map((x) => x.promptId))])}::uuid[]) and content_hash = any(${array([...new Set(w.map((x) => x.contentHash))])}::text[])`);
  const key = (r: { prompt_id: string; source: string; hash: string }) => `${r.prompt_id}\u0000${r.source}\u0000${r.hash}`;
  // (the look-up by prompt and hash may also find the same text from another source: keyed out here)
  const ids = new Map(rows.map((r) => [key(r), r.id]));
  counts.responses += rows.filter((r) => r.made).length;
  const missing = w.filter((x) => !ids.has(`${x.promptId}\u0000${x.source}\u0000${x.contentHash}`));
  if (missing.length > 0) {
    const again = await tx.execute<{ id: string; prompt_id: string; source: string; hash: string }>(sql`
      select r.id, r.prompt_id, r.source, r.content_hash as hash from responses r
      join unnest(${array(missing.map((x) => x.promptId))}::uuid[], ${array(missing.map((x) => x.source))}::text[], ${array(missing.map((x) => x.contentHash))}::text[])
        as t(prompt_id, source, hash) on r.prompt_id = t.prompt_id and r.source = t.source and r.content_hash = t.hash`);
    for (const r of again.rows) ids.set(key(r), r.id);
  }
  return ids;
}

/**
 * The comparisons not there yet with their members, then the imported judgments
 * (preferences and rankings that are not gold answers). A new comparison is made with the
 * judgment its import brings already counted; a comparison that was there counts the
 * judgment when one is added (not when the same judgment was imported before).
 */
async function writeComparisons(tx: Tx, project: Project, byKey: Map<string, PlannedComparison>, importedAnnotator: string, counts: ImportCounts): Promise<void> {
  const keys = [...byKey.keys()];
  const p = [...byKey.values()];
  const judged = (x: PlannedComparison) => x.ranking !== undefined && !x.gold;
  const { rows: made } = await tx.execute<{ id: string }>(sql`
    with input as (
      select * from unnest(${array(keys)}::text[], ${array(p.map((x) => x.promptId))}::uuid[], ${array(p.map((x) => x.ids.length))}::int2[],
        ${array(p.map((x) => x.ids.join(",")))}::text[], ${array(p.map((x) => x.gold))}::bool[], ${array(p.map((x) => (x.gold ? json(x.ranking) : null)))}::jsonb[],
        ${array(p.map((x) => (judged(x) ? 1 : 0)))}::int2[]) as t(response_key, prompt_id, size, ids, is_gold, gold_ranking, judgments)),
    inserted as (
      insert into comparisons (project_id, prompt_id, size, response_key, required, is_gold, gold_ranking, judgment_count)
      select ${project.id}, prompt_id, size, response_key, ${project.redundancy}, is_gold, gold_ranking, judgments from input
      on conflict do nothing returning id, response_key),
    members as (
      insert into comparison_responses (comparison_id, response_id, position)
      select n.id, m.response_id::uuid, (m.position - 1)::int2
      from inserted n join input i on i.response_key = n.response_key, unnest(string_to_array(i.ids, ',')) with ordinality as m(response_id, position))
    select id from inserted`);
  counts.comparisons += made.length;

  const toJudge = keys.filter((k) => judged(byKey.get(k)!));
  if (toJudge.length === 0) return;
  const j = toJudge.map((k) => byKey.get(k)!);
  // A statement of its own: its snapshot sees the comparisons just made and any another
  // transaction committed meanwhile.
  const { rows } = await tx.execute<{ n: number }>(sql`
    with input as (
      select * from unnest(${array(toJudge)}::text[], ${array(j.map((x) => json(x.ranking)))}::jsonb[], ${array(j.map((x) => x.bothBad ?? false))}::bool[],
        ${array(j.map((x) => (x.criteria && Object.keys(x.criteria).length > 0 ? json(x.criteria) : null)))}::jsonb[], ${array(j.map((x) => json(x.ids)))}::jsonb[])
        as t(response_key, ranking, both_bad, criteria, shown_order)),
    judged as (
      insert into judgments (client_id, comparison_id, project_id, annotator_id, origin, ranking, both_bad, criteria, shown_order)
      select gen_random_uuid(), c.id, ${project.id}, ${importedAnnotator}, 'imported', i.ranking, i.both_bad, i.criteria, i.shown_order
      from input i join comparisons c on c.response_key = i.response_key
      where c.project_id = ${project.id} and c.response_key = any(${array(toJudge)}::text[])
      on conflict do nothing returning comparison_id),
    counted as (
      update comparisons set judgment_count = judgment_count + 1
      where id = any((select array_agg(comparison_id) from judged)::uuid[]) and not (id = any(${array(made.map((m) => m.id))}::uuid[])))
    select count(*)::int as n from judged`);
  counts.judgments += rows[0]!.n;
}
