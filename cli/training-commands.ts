// Training elsewhere (README, "Training elsewhere (OpenRLHF, TRL)"): `arbiter export-run`
// writes a folder an engine trains from; `arbiter model register` brings a GPT-2-family
// checkpoint folder back as a project's base or policy model.
import { parseArgs } from "node:util";
import { ENGINES, type Engine } from "@/lib/export-run/engines";
import { RUN_STYLES, type RunStyle } from "@/lib/export-run/engine-records";
import { lengthSummary } from "@/lib/export-run/length-estimate";
import { writeExportRun } from "@/lib/export-run/write-export-run";
import { REGISTER_KINDS, registerModelFolder, type RegisterKind } from "@/lib/models/register-model";
import { getProject } from "@/lib/projects/projects";

/** A wrong or missing argument: main.ts prints the usage and exits 2. */
export class CommandUsageError extends Error {}

function strings(args: string[], names: string[]): Record<string, string | undefined> {
  try {
    return parseArgs({ args, options: Object.fromEntries(names.map((n) => [n, { type: "string" as const }])), strict: true, allowPositionals: false }).values as Record<string, string | undefined>;
  } catch (err) {
    throw new CommandUsageError(err instanceof Error ? err.message : String(err));
  }
}

function need(v: Record<string, string | undefined>, name: string): string {
  const value = v[name];
  if (!value) throw new CommandUsageError(`--${name} is required`);
  return value;
}

function oneOf<T extends string>(value: string, name: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new CommandUsageError(`--${name} must be one of ${allowed.join(", ")}`);
  return value as T;
}

async function projectNamed(id: string) {
  const project = await getProject(id).catch(() => undefined);
  if (!project) throw new CommandUsageError(`no project with id ${id}`);
  return project;
}

/** `arbiter export-run --project ID --engine openrlhf|trl --out DIR [--style standard|conversational]` */
export async function exportRunCommand(args: string[]): Promise<void> {
  const v = strings(args, ["project", "engine", "out", "style"]);
  const engine = oneOf<Engine>(need(v, "engine"), "engine", ENGINES);
  const style = oneOf<RunStyle>(v.style ?? "standard", "style", RUN_STYLES);
  const project = await projectNamed(need(v, "project"));
  const out = need(v, "out");
  const m = await writeExportRun(project, { engine, style, out });
  const c = m.counts;
  if (c.preferenceTrain === 0) console.error("warning: no preference pairs outside the held-out prompts: run.sh's reward-model, PPO and DPO steps have nothing to train on");
  for (const w of m.warnings) console.error(`warning: ${w} (also in ${out}/config.sh)`);
  console.log(
    `wrote ${out} for ${engine} ${m.checkedAgainst.version}: ${c.preferenceTrain} + ${c.preferenceEval} held-out preference pairs ` +
      `(${c.bothBadPairsLeftOut} both-bad left out), ${c.sftTrain} + ${c.sftEval} SFT pairs, ${c.promptsTrain} + ${c.promptsEval} prompts. ` +
      `Name BASE_MODEL in ${out}/config.sh, then run ${out}/run.sh (README.md there says what each file is)`,
  );
  console.log(lengthSummary(m.lengths));
}

/** `arbiter model register --project ID --kind base|policy --dir PATH [--name N]` */
export async function modelRegisterCommand(args: string[]): Promise<void> {
  const v = strings(args, ["project", "kind", "dir", "name"]);
  const kind = oneOf<RegisterKind>(need(v, "kind"), "kind", REGISTER_KINDS);
  const project = await projectNamed(need(v, "project"));
  const model = await registerModelFolder(project, { kind, dir: need(v, "dir"), name: v.name });
  console.log(JSON.stringify(model, null, 2));
}
