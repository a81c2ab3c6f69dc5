// Phase 3 of a round: the new policy answers the project's prompts, and each answer joins
// comparisons with the prompt's existing responses, so annotators judge the policy next
// (and the leaderboard rates "policy@round-N" as a source). One transaction writes the
// responses and their comparisons; an answer that is empty or a near-duplicate of every
// existing response is left out.
import { createHash } from "node:crypto";
import path from "node:path";
import { desc, eq, inArray } from "drizzle-orm";
import { areNearDuplicates, responseKey } from "@/lib/comparisons/form-comparisons";
import { comparisonResponses, comparisons, prompts as promptsTable, responses } from "@/lib/db/schema";
import { checkpointPath } from "@/lib/models/paths";
import { disposeParams, loadCheckpoint } from "../checkpoint/hf-gpt2";
import { generate } from "../generate";
import { formatPrompt, type Message } from "../tokenizer/format";
import { tokenizerFor } from "../tokenizer/tokenizer";
import { latestArtifact, roundProject } from "./artifacts";
import type { PhaseContext } from "./reward-model-phase";

const BATCH = 16;

/** Control characters (NUL above all, which PostgreSQL text refuses) out; newlines and tabs kept. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, "");
}
/** Earlier policies first, newest first (policy@round-N sorts at −N), every other source after. */
export function opponentRank(source: string): number {
  const m = /^policy@round-(\d+)$/.exec(source);
  return m ? -Number(m[1]) : 0;
}

/** Existing responses each new answer is compared with (pairwise: that many pairs). */
const PAIRWISE_OPPONENTS = 2;

export async function generatePhase({ db, round, settings, log, checkCancelled }: PhaseContext): Promise<void> {
  const gs = settings.generate;
  const project = await roundProject(db, round);
  const policyArtifact = await latestArtifact(db, project.id, "policy");
  if (!policyArtifact) throw new Error("no policy to generate with: run the policy phase first");
  const policy = loadCheckpoint(checkpointPath(policyArtifact.path));
  const tok = tokenizerFor(policy.config);
  const source = `policy@round-${round.number}`;
  try {
    const rows = await db
      .select({ id: promptsTable.id, messages: promptsTable.messages })
      .from(promptsTable)
      .where(eq(promptsTable.projectId, project.id))
      .orderBy(desc(promptsTable.createdAt))
      .limit(gs.prompts);
    const room = policy.config.n_positions - gs.maxNewTokens;
    const answers: { promptId: string; text: string }[] = [];
    for (let i = 0; i < rows.length; i += BATCH) {
      const chunk = rows.slice(i, i + BATCH);
      const ids = chunk.map((r) => tok.encode(formatPrompt(r.messages as Message[])).slice(-room));
      const out = await generate(policy.config, policy.params, ids, { maxNewTokens: gs.maxNewTokens, temperature: gs.temperature, topP: gs.topP, eos: tok.eos, seed: gs.seed + i });
      await checkCancelled();
      out.forEach((tokens, k) => {
        const text = printable(tok.decode(tokens)).trim();
        if (text) answers.push({ promptId: chunk[k]!.id, text });
      });
    }
    await checkCancelled(); // before anything is written
    const existing = await db
      .select({ id: responses.id, promptId: responses.promptId, text: responses.text, source: responses.source })
      .from(responses)
      .where(inArray(responses.promptId, answers.length ? answers.map((a) => a.promptId) : ["00000000-0000-0000-0000-000000000000"]));
    const opponentsWanted = project.mode === "pairwise" ? PAIRWISE_OPPONENTS : project.k - 1;
    const written = { responses: 0, comparisons: 0 };
    await db.transaction(async (tx) => {
      for (const a of answers) {
        const others = existing.filter((r) => r.promptId === a.promptId && r.source !== source && !areNearDuplicates(r.text, a.text));
        // one response per other source: the newest earlier policy first (so the leaderboard
        // rates each policy against its predecessor from human judgments), then the rest by name
        const bySource = [...new Map(others.map((r) => [r.source, r])).values()].sort((x, y) => opponentRank(x.source) - opponentRank(y.source) || (x.source < y.source ? -1 : 1));
        if (bySource.length < (project.mode === "pairwise" ? 1 : project.k - 1)) continue;
        const [inserted] = await tx
          .insert(responses)
          .values({ promptId: a.promptId, text: a.text, source, roundId: round.id, contentHash: createHash("sha256").update(a.text).digest("hex") })
          .onConflictDoNothing()
          .returning({ id: responses.id });
        if (!inserted) continue;
        written.responses++;
        const sets = project.mode === "pairwise" ? bySource.slice(0, opponentsWanted).map((o) => [inserted.id, o.id]) : [[inserted.id, ...bySource.slice(0, opponentsWanted).map((o) => o.id)]];
        for (const ids of sets) {
          const [c] = await tx
            .insert(comparisons)
            .values({ projectId: project.id, promptId: a.promptId, size: ids.length, responseKey: responseKey(ids), required: project.redundancy, roundId: round.id })
            .onConflictDoNothing()
            .returning({ id: comparisons.id });
          if (!c) continue;
          await tx.insert(comparisonResponses).values(ids.map((responseId, position) => ({ comparisonId: c.id, responseId, position })));
          written.comparisons++;
        }
      }
    });
    log.line(`generate: ${answers.length} answers from ${path.basename(policyArtifact.path)}; ${written.responses} new responses as ${source} in ${written.comparisons} new comparisons`);
    await log.metrics("generate", 1, { responses: written.responses, comparisons: written.comparisons });
  } finally {
    disposeParams(policy.params);
  }
}
