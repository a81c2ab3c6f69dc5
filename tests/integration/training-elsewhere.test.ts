// Training elsewhere (README, "Training elsewhere (OpenRLHF, TRL)"): `arbiter export-run`
// writes files the engines' loaders read; a policy trained elsewhere comes back as
// answers (policy@external-N) and as a registered checkpoint folder.
import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { and, eq, inArray } from "drizzle-orm";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getDb, getPool } from "@/lib/db/client";
import { comparisonResponses, comparisons, modelArtifacts, prompts, responses, type Project, type User } from "@/lib/db/schema";
import { writeExportRun } from "@/lib/export-run/write-export-run";
import { importExternalPolicy } from "@/lib/import/external-policy";
import { submitJudgment } from "@/lib/judgments/submit-judgment";
import { loadSourcePatterns } from "@/lib/leaderboard/source-patterns";
import { patternLeaderboard } from "@/lib/leaderboard/source-ratings";
import { listBaseModels } from "@/lib/models/paths";
import { listGenerativeModels } from "@/lib/models/policies";
import { checkCheckpointFolder, registerModelFolder } from "@/lib/models/register-model";
import { isHeldOutPrompt } from "@/lib/rounds/held-out";
import { nextTask } from "@/lib/tasks/next-task";
import { loadCheckpoint, saveCheckpoint } from "@/trainer/checkpoint/hf-gpt2";
import { smallConfig } from "@/trainer/model/config";
import { initParams } from "@/trainer/model/gpt2";
import { loadBaseModel } from "@/trainer/rounds/base-model";
import { selectBackend } from "@/trainer/tf/backend";
import { anAdmin, annotators, aProject, bodyOf, importText, ndjson, responseRecords } from "./fixtures";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "arbiter-elsewhere-"));
const PROMPTS = 60;
let project: Project;
let judge: User;
/** how each comparison was judged: i % 10 == 0 both bad, == 1 a tie, else model-0 above model-1 */
const verdict = (i: number) => (i % 10 === 0 ? "bothBad" : i % 10 === 1 ? "tie" : "strict");

const readJsonl = (file: string) =>
  fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function judgeAll(p: Project, me: User, decide: (texts: { id: string; text: string }[]) => { ranking: string[][]; bothBad?: boolean }) {
  for (;;) {
    const task = await nextTask(p, me);
    if (!task) return;
    await submitJudgment(task.comparisonId, me, { clientId: randomUUID(), ...decide(task.responses) });
  }
}

beforeAll(async () => {
  process.env.ARBITER_DATA_DIR = path.join(work, "data");
  delete process.env.ARBITER_MODELS_DIR;
  await selectBackend("wasm");
  project = await aProject({ mode: "pairwise", allowTies: true, redundancy: 1 });
  await importText(project, ndjson(responseRecords(PROMPTS)));
  // demonstrations for five prompts (one repeats a judged-best answer: written once)
  const demos = responseRecords(5).map((r, i) => ({ prompt: r.prompt, completion: i === 4 ? r.responses[0]!.text : `A written answer to question ${i}` }));
  await importText(project, ndjson(demos));
  judge = (await annotators(project, 1))[0]!;
  await judgeAll(project, judge, (rs) => {
    const i = Number(/to (\d+):/.exec(rs[0]!.text)![1]);
    const [m0, m1] = [rs.find((r) => r.text.startsWith("Answer 0"))!.id, rs.find((r) => r.text.startsWith("Answer 1"))!.id];
    if (verdict(i) === "bothBad") return { ranking: [[m0], [m1]], bothBad: true };
    if (verdict(i) === "tie") return { ranking: [[m0, m1]] };
    return { ranking: [[m0], [m1]] };
  });
});

afterAll(() => {
  delete process.env.ARBITER_DATA_DIR;
});

/** The prompt ids of the project by question number. */
async function promptIds(): Promise<Map<number, string>> {
  const rows = await getDb().select({ id: prompts.id, messages: prompts.messages }).from(prompts).where(eq(prompts.projectId, project.id));
  return new Map(rows.map((r) => [Number(/Question (\d+):/.exec(r.messages[0]!.content)![1]), r.id]));
}

describe("arbiter export-run", () => {
  it("openrlhf, standard: pairs, SFT pairs and prompts split by the held-out rule, in the keys OpenRLHF reads", async () => {
    const out = path.join(work, "openrlhf");
    const m = await writeExportRun(project, { engine: "openrlhf", style: "standard", out });
    const ids = await promptIds();
    const heldOut = (i: number) => isHeldOutPrompt(ids.get(i)!);
    const questions = [...Array(PROMPTS).keys()];
    expect(questions.some(heldOut), "some prompts are held out (60 prompts, a tenth each)").toBe(true);
    const strict = questions.filter((i) => verdict(i) === "strict");

    const train = readJsonl(path.join(out, "data/preference/train.jsonl"));
    const test = readJsonl(path.join(out, "data/preference/test.jsonl"));
    // ties give no pair, both-bad judgments give none either; k-wise rules are the export's (export.test.ts)
    expect(train.length + test.length).toBe(strict.length);
    expect(test.length).toBe(strict.filter(heldOut).length);
    expect(m.lengths).toMatchObject({ of: { pairs: strict.length, prompts: PROMPTS }, likelyExceed: { pairs: 0, sft: 0, prompts: 0 }, mayExceed: { pairs: 0, sft: 0, prompts: 0 } });
    expect(m.counts.bothBadPairsLeftOut).toBe(questions.filter((i) => verdict(i) === "bothBad").length);
    for (const line of [...train, ...test]) {
      // openrlhf/datasets/reward_dataset.py L35-41 (no chat template): data["prompt"], data["chosen"],
      // data["rejected"] with --data.prompt_key prompt; L141 tokenizes prompt + chosen
      expect(Object.keys(line).sort()).toEqual(["chosen", "prompt", "rejected"]);
      expect(typeof line.prompt).toBe("string");
      expect(line.prompt).toMatch(/^\n\nHuman: Question \d+: .*\n\nAssistant:$/);
      expect(line.chosen).toMatch(/^ Answer 0 to \d+:/);
      expect(line.rejected).toMatch(/^ Answer 1 to \d+:/);
    }
    for (const line of test) expect(heldOut(Number(/Question (\d+)/.exec(line.prompt as string)![1]))).toBe(true);

    // SFT: five demonstrations (one the same as a judged best) and the judged best of every strict comparison
    const sft = [...readJsonl(path.join(out, "data/sft/train.jsonl")), ...readJsonl(path.join(out, "data/sft/test.jsonl"))];
    const judgedBest = strict.length - (verdict(4) === "strict" ? 1 : 0);
    expect(sft.length).toBe(5 + judgedBest);
    expect(m.counts.demonstrations).toBe(5);
    // openrlhf/datasets/sft_dataset.py L27-31: data[input_key], data[output_key] with --data.input_key prompt --data.output_key completion
    for (const line of sft) expect(Object.keys(line).sort()).toEqual(["completion", "prompt"]);

    // RL prompts: openrlhf/datasets/prompts_dataset.py L39, data[input_key] with --data.input_key prompt
    const promptsTrain = readJsonl(path.join(out, "data/prompts/train.jsonl"));
    const promptsTest = readJsonl(path.join(out, "data/prompts/test.jsonl"));
    expect(promptsTrain.length + promptsTest.length).toBe(PROMPTS);
    expect(promptsTest.length).toBe(questions.filter(heldOut).length);
    for (const line of promptsTrain) expect(Object.keys(line)).toEqual(["prompt"]);

    const readme = fs.readFileSync(path.join(out, "README.md"), "utf8");
    expect(readme).toContain("3c3be6234e0cb353e76bb8019947db9dfe99fca7");
    expect(readme).toContain(`| \`data/preference/test.jsonl\` | ${test.length} |`);
    const config = fs.readFileSync(path.join(out, "config.sh"), "utf8");
    expect(config).toMatch(/: "\$\{BASE_MODEL:=\}"/);
    // fewer than BATCH_SIZE (64) lines in each training file: OpenRLHF would train 0 steps, and the export says so
    expect(config).toContain(`# This export's training lines: ${train.length} preference pairs`);
    expect(m.warnings).toEqual([expect.stringMatching(/^SFT: \d+ training line/), expect.stringMatching(new RegExp(`^reward model and DPO: ${train.length} training line`)), expect.stringMatching(/^PPO: \d+ training line/)]);
    for (const w of m.warnings) expect(config).toContain(`# WARNING: ${w}`);
    expect(readme).toContain(m.warnings[0]!);
    const run = fs.readFileSync(path.join(out, "run.sh"), "utf8");
    expect(run).toContain("deepspeed --module openrlhf.cli.train_rm");
    expect(run).toContain("python3 -m openrlhf.cli.train_ppo_ray");
    expect(fs.statSync(path.join(out, "run.sh")).mode & 0o100).toBeTruthy();
    // a second export into the same folder would mix two exports
    await expect(writeExportRun(project, { engine: "openrlhf", style: "standard", out })).rejects.toThrow(/not empty/);
  });

  it("trl, conversational: message lists TRL reads as its conversational types, splits named train and test", async () => {
    const out = path.join(work, "trl");
    await writeExportRun(project, { engine: "trl", style: "conversational", out });
    for (const split of ["train", "test"]) {
      for (const line of readJsonl(path.join(out, `data/preference/${split}.jsonl`))) {
        // trl/data_utils.py L184-195 (is_conversational): a list of dicts with "role";
        // trl/trainer/reward_trainer.py L668-670 and dpo_trainer.py L1024-1038 join prompt + chosen
        expect(Object.keys(line).sort()).toEqual(["chosen", "prompt", "rejected"]);
        expect(line.prompt).toEqual([{ role: "user", content: expect.stringMatching(/^Question \d+/) }]);
        expect(line.chosen).toEqual([{ role: "assistant", content: expect.stringMatching(/^Answer 0/) }]);
        expect(line.rejected).toEqual([{ role: "assistant", content: expect.stringMatching(/^Answer 1/) }]);
      }
      // trl/trainer/sft_trainer.py L1465-1476: the prompt-completion type
      for (const line of readJsonl(path.join(out, `data/sft/${split}.jsonl`))) {
        expect(line.completion).toEqual([{ role: "assistant", content: expect.any(String) }]);
        expect(Array.isArray(line.prompt)).toBe(true);
      }
    }
    const run = fs.readFileSync(path.join(out, "run.sh"), "utf8");
    expect(run).toMatch(/trl reward \\\n\s+--model_name_or_path "\$SFT_MODEL"/);
    expect(run).toContain("--dataset_test_split 'test'");
  });

  it("k-wise rankings become pairs by the pairwise export's rule: one per response above another, none within a tie", async () => {
    const kwise = await aProject({ mode: "kwise", k: 3, redundancy: 1 });
    await importText(kwise, ndjson(responseRecords(4, 3, "k")));
    const [me] = await annotators(kwise, 1);
    let n = 0;
    await judgeAll(kwise, me!, (rs) => {
      const ids = [...rs].sort((a, b) => (a.text < b.text ? -1 : 1)).map((r) => r.id); // Answer 0 < Answer 1 < Answer 2
      return { ranking: n++ % 2 === 0 ? [[ids[0]!], [ids[1]!], [ids[2]!]] : [[ids[0]!], [ids[1]!, ids[2]!]] };
    });
    const out = path.join(work, "kwise");
    const m = await writeExportRun(kwise, { engine: "openrlhf", style: "standard", out });
    expect(m.counts.preferenceTrain + m.counts.preferenceEval).toBe(2 * 3 + 2 * 2);
    const all = ["train", "test"].flatMap((split) => (fs.existsSync(path.join(out, `data/preference/${split}.jsonl`)) ? readJsonl(path.join(out, `data/preference/${split}.jsonl`)) : []));
    for (const line of all) expect(Number(/^ Answer (\d)/.exec(line.chosen as string)![1])).toBeLessThan(Number(/^ Answer (\d)/.exec(line.rejected as string)![1]));
  });

  it("splits each line by its own prompt's id: an answer judged while the export runs is held out like its prompt", async () => {
    // prompts, pairs, demonstrations and judged-best answers are read one after another, the
    // export streams each in a snapshot of its own; a comparison judged in between must not
    // land in train because an earlier read did not know it
    const p = await aProject({ mode: "pairwise", redundancy: 1 });
    let held: string | undefined;
    for (let batch = 0; !held; batch++) {
      await importText(p, ndjson(responseRecords(20, 2, `race${batch}-`)));
      const rows = await getDb().select({ id: prompts.id, messages: prompts.messages }).from(prompts).where(eq(prompts.projectId, p.id));
      held = rows.find((r) => isHeldOutPrompt(r.id))?.messages[0]!.content;
    }
    const out = path.join(work, "race");
    // the export waits on the demonstrations table, after the pairs and before the judged-best answers
    const holder = await getPool().connect();
    let exporting: Promise<unknown> | undefined;
    try {
      await holder.query("begin");
      await holder.query("lock table demonstrations in access exclusive mode");
      exporting = writeExportRun(p, { engine: "openrlhf", style: "standard", out });
      exporting.catch(() => {}); // awaited below
      for (let waited = 0; ; waited += 20) {
        const { rows } = await getPool().query("select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%demonstrations%'");
        if (rows[0].n > 0) break;
        if (waited > 20_000) throw new Error("the export never waited on the demonstrations table");
        await new Promise((r) => setTimeout(r, 20));
      }
      // a judged comparison on the held-out prompt, committed while the export waits
      await importText(p, ndjson([{ prompt: held, chosen: "A fresh answer judged during the export", rejected: "A worse answer judged during the export" }]));
    } finally {
      await holder.query("commit").catch(() => {});
      holder.release();
    }
    await exporting;
    const lines = (split: string) => (fs.existsSync(path.join(out, `data/sft/${split}.jsonl`)) ? readJsonl(path.join(out, `data/sft/${split}.jsonl`)) : []);
    expect(lines("test").map((l) => l.completion)).toContain(" A fresh answer judged during the export");
    expect(lines("train").map((l) => l.completion)).not.toContain(" A fresh answer judged during the export");
  });

  it("reports, without filtering, the lines likely longer than MAX_LEN", async () => {
    const long = await aProject({ mode: "pairwise", redundancy: 1 });
    await importText(long, ndjson([{ prompt: "A question with a long answer", chosen: "word ".repeat(1000), rejected: "A short one" }]));
    const out = path.join(work, "long");
    const m = await writeExportRun(long, { engine: "trl", style: "standard", out });
    // 5,000 bytes: over 1024 tokens at one a byte and at four bytes a token; the prompt is short
    expect(m.lengths).toEqual({ maxLen: 1024, maxNewTokens: 256, filtered: false, of: { pairs: 1, sft: 1, prompts: 1 }, mayExceed: { pairs: 1, sft: 1, prompts: 0 }, likelyExceed: { pairs: 1, sft: 1, prompts: 0 } });
    expect(m.counts.preferenceTrain + m.counts.preferenceEval).toBe(1); // written all the same
    expect(m.warnings).toContainEqual(expect.stringMatching(/^about 1 pair\(s\), 1 SFT pair\(s\) and 0 prompt\(s\) are longer than MAX_LEN 1024/));
    expect(JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")).lengths).toEqual(m.lengths);
    expect(fs.readFileSync(path.join(out, "config.sh"), "utf8")).toContain("# WARNING: about 1 pair(s)");
    expect(fs.readFileSync(path.join(out, "README.md"), "utf8")).toContain("1 of 1 pairs, 1 of 1 SFT pairs, 0 of 1 prompts longer at 4 bytes a token");
  });

  it("writes no empty split: TRL's load_dataset(DIR) refuses an empty test.jsonl", async () => {
    const small = await aProject({ mode: "pairwise", redundancy: 1 });
    await importText(small, ndjson([{ prompt: "One question", chosen: "A good answer", rejected: "A bad one" }]));
    const [only] = await getDb().select({ id: prompts.id }).from(prompts).where(eq(prompts.projectId, small.id));
    const out = path.join(work, "small");
    const m = await writeExportRun(small, { engine: "trl", style: "standard", out });
    const held = isHeldOutPrompt(only!.id);
    expect(fs.existsSync(path.join(out, "data/preference/test.jsonl"))).toBe(held);
    expect(fs.existsSync(path.join(out, "data/preference/train.jsonl"))).toBe(!held);
    expect(fs.existsSync(path.join(out, "data/sft/test.jsonl"))).toBe(held); // the imported judgment's best answer
    expect(fs.existsSync(path.join(out, "data/prompts/test.jsonl"))).toBe(held);
    expect(m.counts.preferenceEval + m.counts.preferenceTrain).toBe(1);
    // the command lines ask for no split that is not there
    expect(fs.readFileSync(path.join(out, "run.sh"), "utf8").includes("--dataset_test_split")).toBe(held);
  });

  it("runs from the command line; an unknown engine is a usage error", async () => {
    const run = promisify(execFile);
    const bin = path.resolve(import.meta.dirname, "../../bin/arbiter.mjs");
    const env = { ...process.env };
    await expect(run(process.execPath, [bin, "export-run", "--project", project.id, "--engine", "deepspeed-chat", "--out", path.join(work, "x")], { env })).rejects.toMatchObject({ code: 2 });
    const out = path.join(work, "cli");
    const { stdout } = await run(process.execPath, [bin, "export-run", "--project", project.id, "--engine", "trl", "--out", out], { env, timeout: 60_000 });
    expect(stdout).toMatch(/wrote .* for trl/);
    expect(stdout).toMatch(/lengths against MAX_LEN 1024 .*nothing filtered: 0 of \d+ pairs/);
    // what does not fit OpenRLHF's batch (fewer pairs than BATCH_SIZE) is printed
    const openrlhf = await run(process.execPath, [bin, "export-run", "--project", project.id, "--engine", "openrlhf", "--out", path.join(work, "cli-openrlhf")], { env, timeout: 60_000 });
    expect(openrlhf.stderr).toMatch(/warning: reward model and DPO: \d+ training line\(s\), fewer than BATCH_SIZE 64/);
    expect(JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8"))).toMatchObject({ engine: "trl", style: "standard", project: { id: project.id } });
  });
});

describe("external policies", () => {
  it("answers come back as policy@external-N, join comparisons with the best sources, and reach the leaderboard", async () => {
    const lines = [
      // the prompt as export-run's standard file writes it, the answer with its leading space
      { prompt: "\n\nHuman: Question 2: explain topic 2\n\nAssistant:", completion: " An external answer about topic two, quite different" },
      // as a plain string and as messages
      { prompt: "Question 3: explain topic 3", completion: "External words on topic three, entirely new" },
      { prompt: [{ role: "user", content: "Question 4: explain topic 4" }], completion: [{ role: "assistant", content: "External reply for topic four, fresh text" }] },
      { prompt: "A question this project never had", completion: "Nothing to compare with" },
      { prompt: "Question 5: explain topic 5", completion: "   " },
    ];
    const first = await importExternalPolicy(project, bodyOf(ndjson(lines)), { maxBytes: 1 << 20 });
    expect(first).toMatchObject({ source: "policy@external-1", answers: 5, responses: 3, unmatchedPrompts: 1, leftOut: 1, committed: true, errors: [] });
    // pairwise: each answer against two other sources, the leaderboard's best first
    expect(first.comparisons).toBe(6);
    const external = await getDb().select({ id: responses.id }).from(responses).innerJoin(prompts, eq(prompts.id, responses.promptId)).where(and(eq(prompts.projectId, project.id), eq(responses.source, "policy@external-1")));
    expect(external).toHaveLength(3);
    const members = await getDb().select({ comparisonId: comparisonResponses.comparisonId }).from(comparisonResponses).where(inArray(comparisonResponses.responseId, external.map((r) => r.id)));
    expect((await getDb().select().from(comparisons).where(inArray(comparisons.id, members.map((m) => m.comparisonId)))).every((c) => c.roundId === null && c.size === 2)).toBe(true);

    // annotators judge them like any comparison, and the leaderboard rates the new source
    await judgeAll(project, judge, (rs) => {
      const winner = rs.find((r) => r.text.includes("xternal")) ?? rs[0]!;
      return { ranking: [[winner.id], [rs.find((r) => r.id !== winner.id)!.id]] };
    });
    const board = patternLeaderboard(await loadSourcePatterns(project.id), { resamples: 10 });
    expect(board.rows.map((r) => r.source)).toContain("policy@external-1");

    // the next policy gets the next number; an invalid line writes nothing
    const second = await importExternalPolicy(project, bodyOf(ndjson([{ prompt: "Question 6: explain topic 6", completion: "Second external policy answer here" }])), { maxBytes: 1 << 20 });
    expect(second.source).toBe("policy@external-2");
    const broken = await importExternalPolicy(project, bodyOf(`${JSON.stringify({ prompt: "Question 7: explain topic 7", completion: "fine" })}\n{"prompt": 1}\n`), { maxBytes: 1 << 20 });
    expect(broken).toMatchObject({ committed: false, responses: 0, errors: [{ line: 2 }] });
    expect(await getDb().select().from(responses).where(eq(responses.source, broken.source))).toHaveLength(0);
  });

  it("POST /import?externalPolicy=1 answers with the source it named", async () => {
    const admin = await anAdmin();
    const token = (await createApiToken(admin.id, "test")).token;
    const { POST } = await import("@/app/api/v1/projects/[id]/import/route");
    const req = (query: string) =>
      new NextRequest(`http://localhost/api/v1/projects/${project.id}/import?${query}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
        body: ndjson([{ prompt: "Question 8: explain topic 8", completion: "An answer from a third external policy" }]),
      });
    const res = await POST(req("externalPolicy=1"), { params: Promise.resolve({ id: project.id }) });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ source: expect.stringMatching(/^policy@external-\d+$/), responses: 1, committed: true });
    expect((await POST(req("externalPolicy=1&dataset=trl"), { params: Promise.resolve({ id: project.id }) })).status).toBe(400);
  });
});

describe("registering a checkpoint folder", () => {
  /** A tiny GPT-2-family folder written by Arbiter's own checkpoint writer. */
  async function tinyCheckpoint(name: string, seed = 1): Promise<string> {
    const dir = path.join(work, "trained-elsewhere", name);
    const config = smallConfig({ n_layer: 1, n_embd: 16, n_head: 2, n_positions: 32 });
    await saveCheckpoint(dir, { config, params: initParams(config, seed) });
    return dir;
  }
  const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

  it("a policy: checked, copied with its SHA-256, recorded with its own source name, sampled in the playground, usable as a round's base", async () => {
    const dir = await tinyCheckpoint("ext-policy");
    const model = await registerModelFolder(project, { kind: "policy", dir });
    expect(model).toMatchObject({ kind: "policy", name: "ext-policy", source: expect.stringMatching(/^policy@external-\d+$/), sha256: sha256(path.join(dir, "model.safetensors")) });
    const stored = path.join(work, "data", "checkpoints", model.path);
    expect(sha256(path.join(stored, "model.safetensors"))).toBe(model.sha256);
    expect(fs.existsSync(path.join(stored, "vocab.json"))).toBe(true); // the tokenizer files came along
    const [row] = await getDb().select().from(modelArtifacts).where(eq(modelArtifacts.id, model.id));
    expect(row).toMatchObject({ projectId: project.id, roundId: null, kind: "policy", sizeBytes: fs.statSync(path.join(dir, "model.safetensors")).size, config: { source: model.source, registered: true } });
    expect((await listGenerativeModels(project.id)).map((m) => m.id)).toContain(model.id);
    expect(loadCheckpoint(stored).config.n_embd).toBe(16);
    // a round's baseModel names it
    expect(listBaseModels(project.id)).toContain("ext-policy");
    expect(loadBaseModel("ext-policy", 0, undefined, project.id).dir).toBe(stored);
    await expect(registerModelFolder(project, { kind: "policy", dir })).rejects.toThrow(/already registered/);
  });

  it("a base model is recorded as a reference policy", async () => {
    const model = await registerModelFolder(project, { kind: "base", dir: await tinyCheckpoint("ext-base", 2), name: "my-base" });
    expect(model).toMatchObject({ kind: "reference_policy", name: "my-base", source: null });
    expect(loadBaseModel("my-base", 0, undefined, project.id).config.n_layer).toBe(1);
  });

  it("two registrations of one name at once: one is recorded, the other refused, and the folder is the recorded one's", async () => {
    const [a, b] = [await tinyCheckpoint("race-a", 3), await tinyCheckpoint("race-b", 4)];
    const results = await Promise.allSettled([a, b].map((dir) => registerModelFolder(project, { kind: "policy", dir, name: "raced" })));
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    expect(results.find((r) => r.status === "rejected")).toMatchObject({ reason: { message: expect.stringMatching(/already registered/) } });
    const model = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof registerModelFolder>>>).value;
    expect(sha256(path.join(work, "data", "checkpoints", model.path, "model.safetensors"))).toBe(model.sha256);
    expect(await getDb().select().from(modelArtifacts).where(eq(modelArtifacts.path, model.path))).toHaveLength(1);
  });

  it("refuses a folder Arbiter could not load, with the reason, and copies nothing", async () => {
    const wrongShape = await tinyCheckpoint("wrong-shape");
    const config = JSON.parse(fs.readFileSync(path.join(wrongShape, "config.json"), "utf8"));
    fs.writeFileSync(path.join(wrongShape, "config.json"), JSON.stringify({ ...config, n_embd: 32 }));
    await expect(registerModelFolder(project, { kind: "policy", dir: wrongShape })).rejects.toThrow(/transformer\.wte\.weight has shape \[257,16\], config\.json says \[257,32\]/);

    const noWeights = await tinyCheckpoint("no-weights");
    fs.renameSync(path.join(noWeights, "model.safetensors"), path.join(noWeights, "pytorch_model.bin"));
    await expect(registerModelFolder(project, { kind: "policy", dir: noWeights })).rejects.toThrow(/no model\.safetensors \(it has pytorch_model\.bin/);

    const notGpt2 = await tinyCheckpoint("not-gpt2");
    fs.writeFileSync(path.join(notGpt2, "config.json"), JSON.stringify({ model_type: "llama", hidden_size: 16 }));
    await expect(registerModelFolder(project, { kind: "base", dir: notGpt2 })).rejects.toThrow(/is not a GPT-2 config/);

    const cut = await tinyCheckpoint("cut-off");
    const weights = path.join(cut, "model.safetensors");
    fs.truncateSync(weights, fs.statSync(weights).size - 100);
    await expect(registerModelFolder(project, { kind: "policy", dir: cut })).rejects.toThrow(/data_offsets do not match/);

    // a GPT-2-sized vocabulary is encoded with GPT-2's own BPE: another vocabulary, or another end-of-text id, would be misread
    const bpe = path.join(work, "trained-elsewhere", "bpe");
    const bpeConfig = smallConfig({ vocab_size: 50257, bos_token_id: 50256, eos_token_id: 50256, arbiter_tokenizer: "gpt2-bpe", n_layer: 1, n_embd: 8, n_head: 2, n_positions: 16 });
    await saveCheckpoint(bpe, { config: bpeConfig, params: initParams(bpeConfig, 6) });
    fs.writeFileSync(path.join(bpe, "vocab.json"), JSON.stringify({ a: 0, b: 1, "<|endoftext|>": 2 }));
    await expect(registerModelFolder(project, { kind: "base", dir: bpe })).rejects.toThrow(/vocab\.json is not GPT-2's BPE vocabulary \(3 entries\)/);
    fs.rmSync(path.join(bpe, "vocab.json"));
    const bpeJson = JSON.parse(fs.readFileSync(path.join(bpe, "config.json"), "utf8"));
    fs.writeFileSync(path.join(bpe, "config.json"), JSON.stringify({ ...bpeJson, eos_token_id: 0 }));
    await expect(registerModelFolder(project, { kind: "base", dir: bpe })).rejects.toThrow(/eos_token_id 0 is not the gpt2-bpe tokenizer's end of text \(50256\)/);
    fs.writeFileSync(path.join(bpe, "config.json"), JSON.stringify(bpeJson)); // without tokenizer files it is Arbiter's built-in GPT-2 BPE
    expect(checkCheckpointFolder(bpe)).toMatchObject({ tokenizer: "gpt2-bpe", files: ["config.json", "model.safetensors"] });

    // a vocabulary of another size, without Arbiter's tokenizer field, fits neither tokenizer
    const odd = await tinyCheckpoint("odd-vocab");
    const oddConfig = JSON.parse(fs.readFileSync(path.join(odd, "config.json"), "utf8"));
    delete oddConfig.arbiter_tokenizer;
    fs.writeFileSync(path.join(odd, "config.json"), JSON.stringify({ ...oddConfig, vocab_size: 32000 }));
    await expect(registerModelFolder(project, { kind: "base", dir: odd })).rejects.toThrow(/vocab_size 32000 fits neither of Arbiter's tokenizers/);

    const registered = path.join(work, "data", "checkpoints", project.id, "registered");
    expect(fs.readdirSync(registered).sort()).toEqual(["ext-policy", "my-base", "raced"]);
  });

  it("from the command line: model register, and import --external-policy", async () => {
    const run = promisify(execFile);
    const bin = path.resolve(import.meta.dirname, "../../bin/arbiter.mjs");
    const env = { ...process.env };
    const { stdout } = await run(process.execPath, [bin, "model", "register", "--project", project.id, "--kind", "policy", "--dir", await tinyCheckpoint("cli-policy", 5)], { env, timeout: 60_000 });
    expect(JSON.parse(stdout)).toMatchObject({ kind: "policy", name: "cli-policy", source: expect.stringMatching(/^policy@external-\d+$/) });
    const broken = path.join(work, "trained-elsewhere", "cli-broken");
    fs.mkdirSync(broken, { recursive: true });
    await expect(run(process.execPath, [bin, "model", "register", "--project", project.id, "--kind", "base", "--dir", broken], { env })).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/no config\.json/) });
    const answers = path.join(work, "answers.jsonl");
    fs.writeFileSync(answers, ndjson([{ prompt: "Question 9: explain topic 9", completion: "A command-line external answer" }]));
    const imported = await run(process.execPath, [bin, "import", "--project", project.id, "--file", answers, "--external-policy"], { env, timeout: 60_000 });
    expect(JSON.parse(imported.stdout)).toMatchObject({ source: expect.stringMatching(/^policy@external-\d+$/), responses: 1, committed: true });
    await expect(run(process.execPath, [bin, "import", "--project", project.id, "--file", answers, "--external-policy", "--dataset", "trl"], { env })).rejects.toMatchObject({ code: 2 });
  });

  it("over HTTP the folder must be under the models directory", async () => {
    const token = (await createApiToken((await anAdmin()).id, "test")).token;
    const { POST } = await import("@/app/api/v1/projects/[id]/models/route");
    const post = (body: unknown) =>
      POST(new NextRequest(`http://localhost/api/v1/projects/${project.id}/models`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) }), {
        params: Promise.resolve({ id: project.id }),
      });
    const outside = await post({ kind: "policy", dir: await tinyCheckpoint("outside") });
    expect(outside.status).toBe(400);
    expect((await outside.json()).error.message).toMatch(/under the models directory/);
    const modelsDir = path.join(work, "data", "models");
    fs.mkdirSync(modelsDir, { recursive: true });
    fs.cpSync(await tinyCheckpoint("dropped"), path.join(modelsDir, "dropped"), { recursive: true });
    const ok = await post({ kind: "policy", dir: "dropped", name: "dropped-policy" });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ kind: "policy", name: "dropped-policy" });
    expect((await post({ kind: "policy", dir: "dropped", name: "dropped-policy" })).status).toBe(409);
    // a file that is a link to elsewhere is not copied over HTTP
    fs.cpSync(path.join(modelsDir, "dropped"), path.join(modelsDir, "linked"), { recursive: true });
    fs.rmSync(path.join(modelsDir, "linked", "vocab.json"));
    fs.symlinkSync(path.join(work, "trained-elsewhere", "outside", "vocab.json"), path.join(modelsDir, "linked", "vocab.json"));
    const linked = await post({ kind: "base", dir: "linked" });
    expect(linked.status).toBe(400);
    expect((await linked.json()).error.message).toMatch(/vocab\.json is a symbolic link/);
  });
});
