// Demonstrations as the web app sees them: what the SFT phase will train on, listed for
// admins and scripts. They are written by the import (lib/import/write-batch.ts) and never
// reach annotators.
import { and, asc, eq, sql } from "drizzle-orm";
import { ApiError } from "@/lib/api/errors";
import { getDb } from "@/lib/db/client";
import { demonstrations, prompts, type Message } from "@/lib/db/schema";

export type DemonstrationView = { id: string; promptId: string; prompt: Message[]; completion: string; source: string; createdAt: string };
export type DemonstrationPage = { demonstrations: DemonstrationView[]; nextCursor: string | null };

/**
 * One page in import order (created_at, then id). The cursor is the id of the last row of
 * the previous page: rows imported later never shift a page already read, and the order key
 * is compared in PostgreSQL at its own (microsecond) precision.
 */
export async function listDemonstrations({ projectId, limit, cursor }: { projectId: string; limit: number; cursor?: string }): Promise<DemonstrationPage> {
  const db = getDb();
  if (cursor !== undefined) {
    const [known] = await db
      .select({ id: demonstrations.id })
      .from(demonstrations)
      .where(and(eq(demonstrations.id, cursor), eq(demonstrations.projectId, projectId)));
    if (!known) throw new ApiError("invalid_input", "cursor: not a demonstration of this project");
  }
  const after =
    cursor === undefined
      ? undefined
      : sql`(${demonstrations.createdAt}, ${demonstrations.id}) > (select d.created_at, d.id from ${demonstrations} d where d.id = ${cursor})`;
  const rows = await db
    .select({ d: demonstrations, messages: prompts.messages })
    .from(demonstrations)
    .innerJoin(prompts, eq(prompts.id, demonstrations.promptId))
    .where(and(eq(demonstrations.projectId, projectId), after))
    .orderBy(asc(demonstrations.createdAt), asc(demonstrations.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return {
    demonstrations: page.map(({ d, messages }) => ({
      id: d.id,
      promptId: d.promptId,
      prompt: messages,
      completion: d.completion,
      source: d.source,
      createdAt: d.createdAt.toISOString(),
    })),
    nextCursor: rows.length > limit ? page[page.length - 1]!.d.id : null,
  };
}

export async function countDemonstrations(projectId: string): Promise<number> {
  const [row] = await getDb()
    .select({ n: sql<number>`count(*)::int` })
    .from(demonstrations)
    .where(eq(demonstrations.projectId, projectId));
  return row?.n ?? 0;
}
