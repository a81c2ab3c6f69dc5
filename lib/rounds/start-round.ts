// Starting a round: one transaction inserts the round (numbered within the project, with the
// judgment watermark it will train on and the settings it will run with) and its queue job,
// so a round never exists without a job or a job without a round. A second active round in
// the project is refused by the unique index rounds_one_active_per_project (API.md: 409).
import { ApiError } from "@/lib/api/errors";
import { getPool } from "@/lib/db/client";
import { getSender } from "./boss";
import { ROUND_QUEUE, type RoundJob } from "./queue";
import { resolveRoundSettings } from "./round-settings";

/** A round may run for hours on CPU; the queue must not expire it meanwhile. */
const ROUND_EXPIRY_SECONDS = 12 * 3600;

export type StartRoundInput = {
  projectId: string;
  trigger: "admin" | "threshold";
  requestedBy: string | null;
  overrides?: unknown;
};

export async function startRound(input: StartRoundInput): Promise<{ id: string; number: number }> {
  const boss = await getSender();
  const client = await getPool().connect();
  try {
    await client.query("begin");
    const project = await client.query<{ round_settings: unknown }>(
      "select round_settings from projects where id = $1 and archived_at is null for update",
      [input.projectId],
    );
    if (!project.rows[0]) throw new ApiError("not_found", "No such project");
    const settings = resolveRoundSettings(project.rows[0].round_settings, input.overrides);
    let inserted;
    try {
      inserted = await client.query<{ id: string; number: number }>(
        `insert into rounds (project_id, number, trigger, requested_by, config, judgment_watermark)
         values ($1, coalesce((select max(number) from rounds where project_id = $1), 0) + 1, $2, $3, $4, now())
         returning id, number`,
        [input.projectId, input.trigger, input.requestedBy, JSON.stringify(settings)],
      );
    } catch (err) {
      if ((err as { constraint?: string }).constraint === "rounds_one_active_per_project") {
        throw new ApiError("conflict", "A round is already queued or running in this project");
      }
      throw err;
    }
    const round = inserted.rows[0]!;
    const job: RoundJob = { roundId: round.id };
    await boss.send(ROUND_QUEUE, job, {
      retryLimit: 0,
      expireInSeconds: ROUND_EXPIRY_SECONDS,
      db: { executeSql: (text: string, values: unknown[]) => client.query(text, values) },
    });
    await client.query("commit");
    return round;
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
