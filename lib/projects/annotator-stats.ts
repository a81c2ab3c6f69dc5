// What admins see of a project's annotators, and what an annotator sees of their own work.
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { comparisonResponses, comparisons, judgments, prompts, responses, skips, users } from "@/lib/db/schema";

export async function annotatorProgress(projectId: string, userId: string): Promise<{ judged: number; skipped: number }> {
  const db = getDb();
  const [j] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(judgments)
    .where(and(eq(judgments.projectId, projectId), eq(judgments.annotatorId, userId)));
  const [s] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(skips)
    .innerJoin(comparisons, eq(comparisons.id, skips.comparisonId))
    .where(and(eq(comparisons.projectId, projectId), eq(skips.annotatorId, userId)));
  return { judged: j?.n ?? 0, skipped: s?.n ?? 0 };
}

export type AnnotatorStats = {
  userId: string;
  email: string;
  name: string | null;
  judgments: number;
  lastHour: number;
  medianMs: number | null;
  lastAt: string | null;
};

export async function annotatorStats(projectId: string): Promise<AnnotatorStats[]> {
  const rows = await getDb()
    .select({
      userId: users.id,
      email: users.email,
      name: users.name,
      judgments: sql<number>`count(*)::int`,
      lastHour: sql<number>`count(*) filter (where ${judgments.createdAt} >= now() - interval '1 hour')::int`,
      medianMs: sql<number | null>`percentile_cont(0.5) within group (order by ${judgments.durationMs})`,
      lastAt: sql<Date | null>`max(${judgments.createdAt})`,
    })
    .from(judgments)
    .innerJoin(users, eq(users.id, judgments.annotatorId))
    .where(eq(judgments.projectId, projectId))
    .groupBy(users.id, users.email, users.name)
    .orderBy(desc(sql`count(*)`));
  return rows.map((r) => ({
    ...r,
    medianMs: r.medianMs === null ? null : Math.round(Number(r.medianMs)),
    lastAt: r.lastAt ? new Date(r.lastAt).toISOString() : null,
  }));
}

export type JudgmentView = {
  id: string;
  comparisonId: string;
  annotator: string;
  origin: string;
  ranking: string[][];
  shownOrder: string[];
  strength: number | null;
  bothBad: boolean;
  criteria: Record<string, string[][]> | null;
  rationale: string | null;
  durationMs: number | null;
  createdAt: string;
  promptPreview: string;
};

export async function recentJudgments(projectId: string, opts: { limit?: number; before?: Date } = {}): Promise<JudgmentView[]> {
  const rows = await getDb()
    .select({ j: judgments, email: users.email, messages: prompts.messages })
    .from(judgments)
    .innerJoin(users, eq(users.id, judgments.annotatorId))
    .innerJoin(comparisons, eq(comparisons.id, judgments.comparisonId))
    .innerJoin(prompts, eq(prompts.id, comparisons.promptId))
    .where(and(eq(judgments.projectId, projectId), opts.before ? lt(judgments.createdAt, opts.before) : undefined))
    .orderBy(desc(judgments.createdAt))
    .limit(Math.min(opts.limit ?? 50, 500));
  return rows.map(({ j, email, messages }) => ({
    id: j.id,
    comparisonId: j.comparisonId,
    annotator: email,
    origin: j.origin,
    ranking: j.ranking,
    shownOrder: j.shownOrder,
    strength: j.strength,
    bothBad: j.bothBad,
    criteria: j.criteria,
    rationale: j.rationale,
    durationMs: j.durationMs,
    createdAt: j.createdAt.toISOString(),
    promptPreview: (messages.findLast((m) => m.role === "user")?.content ?? "").slice(0, 160),
  }));
}

export async function comparisonDetail(comparisonId: string) {
  const db = getDb();
  const [c] = await db
    .select({ c: comparisons, messages: prompts.messages })
    .from(comparisons)
    .innerJoin(prompts, eq(prompts.id, comparisons.promptId))
    .where(eq(comparisons.id, comparisonId));
  if (!c) return undefined;
  const rs = await db
    .select({ id: responses.id, text: responses.text, source: responses.source, position: comparisonResponses.position })
    .from(comparisonResponses)
    .innerJoin(responses, eq(responses.id, comparisonResponses.responseId))
    .where(eq(comparisonResponses.comparisonId, comparisonId))
    .orderBy(comparisonResponses.position);
  const js = await db
    .select({ j: judgments, email: users.email })
    .from(judgments)
    .innerJoin(users, eq(users.id, judgments.annotatorId))
    .where(eq(judgments.comparisonId, comparisonId))
    .orderBy(judgments.createdAt);
  return { comparison: c.c, prompt: c.messages, responses: rs, judgments: js.map(({ j, email }) => ({ ...j, annotator: email })) };
}
