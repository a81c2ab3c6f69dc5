// `arbiter export-run`: a folder an RLHF engine trains from (README.md in it says what
// each file is). The preference pairs and judged-best SFT pairs come from the export's
// own streams (lib/export/stream.ts, the pairwise and sft formats, with their rules for
// ties and k-wise rankings); demonstrations and prompts are read a page at a time; every
// line is put in the train or the test file by the held-out rule (lib/rounds/held-out.ts)
// applied to its own prompt's id, so lines read through different snapshots (each export
// stream is one) are split alike even when comparisons were added between them.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { and, asc, eq, gt } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { demonstrations, prompts, type Message, type Project } from "@/lib/db/schema";
import { exportRecords } from "@/lib/export/stream";
import { isHeldOutPrompt } from "@/lib/rounds/held-out";
import { preferenceLine, promptLine, sftLine, type RunStyle } from "./engine-records";
import { CHECKED_VERSIONS, FILES, type Engine, type RunData } from "./engines";
import { batchWarnings } from "./batch-checks";
import { LengthTally, lengthWarnings } from "./length-estimate";
import { configScript, defaultBatchSettings, readme, runScript, settingDefault, type RunManifest } from "./run-script";

const PAGE = 1000;

/**
 * A train/test pair of JSONL files, written line by line through streams. A split with no
 * line is not left as an empty file: `load_dataset(DIR)` (TRL's --dataset_name) refuses a
 * folder whose test.jsonl is empty ('Instruction "test" corresponds to no data').
 */
class SplitFiles {
  private train: fs.WriteStream;
  private test: fs.WriteStream;
  counts = { train: 0, test: 0 };
  constructor(private dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.train = fs.createWriteStream(path.join(dir, "train.jsonl"));
    this.test = fs.createWriteStream(path.join(dir, "test.jsonl"));
  }
  async write(heldOut: boolean, line: object): Promise<void> {
    const stream = heldOut ? this.test : this.train;
    this.counts[heldOut ? "test" : "train"]++;
    if (!stream.write(JSON.stringify(line) + "\n")) await new Promise<void>((resolve) => stream.once("drain", () => resolve()));
  }
  async close(): Promise<void> {
    await Promise.all([this.train, this.test].map((s) => new Promise<void>((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())))));
    for (const split of ["train", "test"] as const) if (this.counts[split] === 0) fs.rmSync(path.join(this.dir, `${split}.jsonl`));
  }
}

/** Every prompt of the project, a page at a time in id order. */
async function* projectPrompts(projectId: string): AsyncGenerator<{ id: string; messages: Message[] }> {
  let after: string | null = null;
  for (;;) {
    const page: { id: string; messages: Message[] }[] = await getDb()
      .select({ id: prompts.id, messages: prompts.messages })
      .from(prompts)
      .where(after ? and(eq(prompts.projectId, projectId), gt(prompts.id, after)) : eq(prompts.projectId, projectId))
      .orderBy(asc(prompts.id))
      .limit(PAGE);
    yield* page;
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.id;
  }
}

/** The project's demonstrations with their prompts, a page at a time. */
async function* projectDemonstrations(projectId: string): AsyncGenerator<{ id: string; promptId: string; messages: Message[]; completion: string }> {
  let after: string | null = null;
  for (;;) {
    const page: { id: string; promptId: string; messages: Message[]; completion: string }[] = await getDb()
      .select({ id: demonstrations.id, promptId: demonstrations.promptId, messages: prompts.messages, completion: demonstrations.completion })
      .from(demonstrations)
      .innerJoin(prompts, eq(prompts.id, demonstrations.promptId))
      .where(after ? and(eq(demonstrations.projectId, projectId), gt(demonstrations.id, after)) : eq(demonstrations.projectId, projectId))
      .orderBy(asc(demonstrations.id))
      .limit(PAGE);
    yield* page;
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.id;
  }
}

export type ExportRunOptions = { engine: Engine; style: RunStyle; out: string; secret?: string };

/**
 * Writes the folder; refuses one that exists and is not empty (a half-overwritten run would
 * mix two exports). Returns what manifest.json records.
 */
export async function writeExportRun(project: Project, opts: ExportRunOptions): Promise<RunManifest> {
  const out = path.resolve(opts.out);
  if (fs.existsSync(out) && fs.readdirSync(out).length > 0) throw new Error(`${out} is not empty: name a new folder`);
  fs.mkdirSync(out, { recursive: true });
  const style = opts.style;
  // annotators' pseudonyms are not written (no meta in these files); the stream wants a key all the same
  const secret = opts.secret ?? process.env.NEXTAUTH_SECRET ?? "arbiter-export-run";

  // every line's length against config.sh's MAX_LEN, estimated (length-estimate.ts)
  const lengths = new LengthTally(Number(settingDefault("MAX_LEN")), Number(settingDefault("MAX_NEW_TOKENS")));

  // prompts: the RL prompts file
  const promptFiles = new SplitFiles(path.join(out, FILES.prompts));
  for await (const p of projectPrompts(project.id)) {
    const line = promptLine(p.messages, style);
    lengths.prompt(line.prompt);
    await promptFiles.write(isHeldOutPrompt(p.id), line);
  }
  await promptFiles.close();

  // preference pairs: the pairwise export, conversational so that the prompt keeps its messages
  const pairFiles = new SplitFiles(path.join(out, FILES.preference));
  let bothBadPairsLeftOut = 0;
  type Pair = { prompt: Message[]; chosen: Message[]; rejected: Message[]; meta: { promptId: string; bothBad?: boolean } };
  for await (const r of exportRecords(project.id, {}, { format: "pairwise", conversational: true, ties: false, secret }) as AsyncGenerator<Pair>) {
    if (r.meta.bothBad) {
      bothBadPairsLeftOut++;
      continue;
    }
    const line = preferenceLine(r.prompt, r.chosen[0]!.content, r.rejected[0]!.content, style);
    lengths.pair(line.prompt, line.chosen, line.rejected);
    await pairFiles.write(isHeldOutPrompt(r.meta.promptId), line);
  }
  await pairFiles.close();

  // SFT: demonstrations, then the sft export's judged best; an exact repeat is written once
  const sftFiles = new SplitFiles(path.join(out, FILES.sft));
  const seen = new Set<string>();
  const once = (messages: Message[], completion: string) => {
    const key = createHash("sha256").update(JSON.stringify([messages, completion])).digest("base64");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  const writeSft = async (heldOut: boolean, messages: Message[], completion: string) => {
    const line = sftLine(messages, completion, style);
    lengths.sft(line.prompt, line.completion);
    await sftFiles.write(heldOut, line);
  };
  let demos = 0;
  for await (const d of projectDemonstrations(project.id)) {
    if (!once(d.messages, d.completion)) continue;
    demos++;
    await writeSft(isHeldOutPrompt(d.promptId), d.messages, d.completion);
  }
  let judgedBest = 0;
  type Best = { prompt: Message[]; completion: Message[]; meta: { promptId: string } };
  for await (const r of exportRecords(project.id, {}, { format: "sft", conversational: true, secret }) as AsyncGenerator<Best>) {
    const completion = r.completion[0]!.content;
    if (!once(r.prompt, completion)) continue;
    judgedBest++;
    await writeSft(isHeldOutPrompt(r.meta.promptId), r.prompt, completion);
  }
  await sftFiles.close();

  const counts: RunData["counts"] = {
    preferenceTrain: pairFiles.counts.train,
    preferenceEval: pairFiles.counts.test,
    sftTrain: sftFiles.counts.train,
    sftEval: sftFiles.counts.test,
    promptsTrain: promptFiles.counts.train,
    promptsEval: promptFiles.counts.test,
  };
  const manifest: RunManifest = {
    project: { id: project.id, name: project.name },
    engine: opts.engine,
    checkedAgainst: CHECKED_VERSIONS[opts.engine],
    style,
    createdAt: new Date().toISOString(),
    counts: { ...counts, bothBadPairsLeftOut, demonstrations: demos, judgedBest },
    lengths: lengths.result(),
    warnings: [...batchWarnings(opts.engine, counts, defaultBatchSettings()), ...lengthWarnings(lengths.result())],
  };
  fs.writeFileSync(path.join(out, "config.sh"), configScript(opts.engine, { style, counts }, manifest.warnings));
  fs.writeFileSync(path.join(out, "run.sh"), runScript(opts.engine, { style, counts }), { mode: 0o755 });
  fs.writeFileSync(path.join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  fs.writeFileSync(path.join(out, "README.md"), readme(manifest));
  return manifest;
}
