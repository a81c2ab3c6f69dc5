// What must hold after the attacks (issue 19), read from the database once the load has
// stopped and leases have expired: every acknowledged judgment is there exactly once, no
// comparison has more judgments than it asked for, no lease or lease hint outlives its
// expiry, no round is left running, and every registered model's files are whole.
import { existsSync } from "node:fs";
import path from "node:path";
import type pg from "pg";
import { checkRegisteredHashes } from "@/lib/backup/artifact-files";
import { checkpointPath } from "@/lib/models/paths";

export type Acknowledged = Map<string, string>; // clientId → judgment id the client was given

/** What the simulated annotators were told: every acknowledgement by clientId, and how many named another judgment than an earlier one for the same clientId. */
export function acknowledgements(): { acked: Acknowledged; onStep: (s: { clientId: string; judgmentId: string }) => void; conflicting: () => number } {
  const acked: Acknowledged = new Map();
  let conflicting = 0;
  return {
    acked,
    onStep: (s) => {
      const before = acked.get(s.clientId);
      if (before && before !== s.judgmentId) conflicting++;
      acked.set(s.clientId, s.judgmentId);
    },
    conflicting: () => conflicting,
  };
}

export type Verdict = {
  acknowledged: number;
  inDatabase: number;
  lost: number;
  duplicated: number;
  /** written, but the client never heard (it gave up while the answer was lost): not an error */
  writtenNotAcknowledged: number;
  overRedundancy: number;
  counterMismatch: number;
  danglingLeases: number;
  roundsRunning: number;
  artifactsMissing: number;
  artifactsBadSha256: number;
};

export async function verdict(db: pg.ClientBase, projectId: string, acked: Acknowledged, conflictingAcks: number): Promise<Verdict> {
  const clientIds = [...acked.keys()];
  const { rows: found } = await db.query<{ client_id: string; id: string }>("select client_id, id from judgments where project_id = $1 and client_id = any($2::uuid[])", [projectId, clientIds]);
  const byClient = new Map(found.map((r) => [r.client_id, r.id]));
  const lost = clientIds.filter((c) => !byClient.has(c)).length;
  // an acknowledgement naming another row than the one stored, or two for one clientId
  const mismatched = clientIds.filter((c) => byClient.has(c) && byClient.get(c) !== acked.get(c)).length;
  const { rows: dup } = await db.query<{ n: number }>(
    "select coalesce(sum(n - 1), 0)::int as n from (select count(*) as n from judgments where project_id = $1 group by comparison_id, annotator_id having count(*) > 1) d",
    [projectId],
  );
  const { rows: human } = await db.query<{ n: number }>("select count(*)::int as n from judgments where project_id = $1 and origin = 'human'", [projectId]);
  const { rows: over } = await db.query<{ over: number; mismatch: number }>(
    `select count(*) filter (where j.n > c.required)::int as over, count(*) filter (where j.n <> c.judgment_count)::int as mismatch
       from comparisons c left join lateral (select count(*)::int as n from judgments where comparison_id = c.id) j on true
      where c.project_id = $1`,
    [projectId],
  );
  // a lease that survived its own judgment, or a "full until" hint in the future with no live
  // lease behind it on a comparison that still needs judgments (on a full one the hint blocks
  // nothing: the scan skips it anyway, and submits turn leased slots into judged ones)
  const { rows: dangling } = await db.query<{ n: number }>(
    `select (select count(*) from task_leases l join comparisons c on c.id = l.comparison_id
              where c.project_id = $1 and exists (select 1 from judgments j where j.comparison_id = l.comparison_id and j.annotator_id = l.annotator_id))
          + (select count(*) from comparisons c where c.project_id = $1 and c.slots_leased_until > now() and c.judgment_count < c.required
              and not exists (select 1 from task_leases l where l.comparison_id = c.id and l.expires_at > now()))
          + (select count(*) from task_leases l join comparisons c on c.id = l.comparison_id where c.project_id = $1 and l.expires_at > now()) as n`,
    [projectId],
  );
  const { rows: running } = await db.query<{ n: number }>("select count(*)::int as n from rounds where status in ('queued', 'running')");
  const { rows: artifacts } = await db.query<{ id: string; path: string; sha256: string | null }>("select id, path, sha256 from model_artifacts");
  const missing = artifacts.filter((a) => !existsSync(path.join(checkpointPath(a.path), "model.safetensors"))).length;
  const bad = (await checkRegisteredHashes(artifacts)).length;
  return {
    acknowledged: acked.size,
    inDatabase: found.length,
    lost,
    duplicated: dup[0]!.n + mismatched + conflictingAcks,
    writtenNotAcknowledged: human[0]!.n - found.length,
    overRedundancy: over[0]!.over,
    counterMismatch: over[0]!.mismatch,
    danglingLeases: Number(dangling[0]!.n),
    roundsRunning: running[0]!.n,
    artifactsMissing: missing,
    artifactsBadSha256: bad,
  };
}
