// Phase 3 of a round: the new policy answers the project's prompts, and each answer joins
// comparisons with the prompt's existing responses (lib/comparisons/new-source-comparisons.ts),
// so annotators judge the policy next (and the leaderboard rates "policy@round-N" as a
// source). One transaction writes the responses and their comparisons; an answer that is
// empty or a near-duplicate of every existing response is left out.
import path from "node:path";
import { desc, eq } from "drizzle-orm";
import { joinComparisons, printable } from "@/lib/comparisons/new-source-comparisons";
import { prompts as promptsTable } from "@/lib/db/schema";
import { checkpointPath } from "@/lib/models/paths";
import { disposeParams, loadCheckpoint } from "../checkpoint/hf-gpt2";
import { generate } from "../generate";
import { formatPrompt, type Message } from "../tokenizer/format";
import { tokenizerFor } from "../tokenizer/tokenizer";
import { latestArtifact, registeredSha256, roundProject } from "./artifacts";
import type { PhaseContext } from "./reward-model-phase";

const BATCH = 16;

/** Earlier policies first, newest first (policy@round-N sorts at −N), every other source after. */
export function opponentRank(source: string): number {
  const m = /^policy@round-(\d+)$/.exec(source);
  return m ? -Number(m[1]) : 0;
}

export async function generatePhase({ db, round, settings, log, checkCancelled }: PhaseContext): Promise<void> {
  const gs = settings.generate;
  const project = await roundProject(db, round);
  const policyArtifact = await latestArtifact(db, project.id, "policy");
  if (!policyArtifact) throw new Error("no policy to generate with: run the policy phase first");
  const policy = loadCheckpoint(checkpointPath(policyArtifact.path), { sha256: registeredSha256(policyArtifact) });
  const tok = tokenizerFor(policy.config);
  // a policy registered from a folder (lib/models/register-model.ts) answers under its own name, policy@external-N
  const registered = policyArtifact.roundId === null && typeof policyArtifact.config.source === "string" ? policyArtifact.config.source : null;
  const source = registered ?? `policy@round-${round.number}`;
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
    // the newest earlier policy first (so the leaderboard rates each policy against its
    // predecessor from human judgments), then the other sources by name
    const written = await db.transaction((tx) =>
      joinComparisons(tx, project, answers, source, { roundId: round.id, opponentOrder: (x, y) => opponentRank(x) - opponentRank(y) || (x < y ? -1 : 1) }),
    );
    log.line(`generate: ${answers.length} answers from ${path.basename(policyArtifact.path)}; ${written.responses} new responses as ${source} in ${written.comparisons} new comparisons`);
    await log.metrics("generate", 1, { responses: written.responses, comparisons: written.comparisons });
  } finally {
    disposeParams(policy.params);
  }
}
