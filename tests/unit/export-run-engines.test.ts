// The command lines `arbiter export-run` writes name only flags the engine's trainers define
// at the version it was checked against (tests/unit/fixtures/engines/*-flags.json, read from
// the engines' source: the "how" field of each says how), and run.sh is valid bash.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CHECKED_VERSIONS, engineCommands, ENGINES, type RunData } from "@/lib/export-run/engines";
import { preferenceLine, promptLine, sftLine } from "@/lib/export-run/engine-records";
import { batchWarnings } from "@/lib/export-run/batch-checks";
import { lengthSummary, LengthTally, lengthWarnings } from "@/lib/export-run/length-estimate";
import { commandLine, configScript, defaultBatchSettings, runScript } from "@/lib/export-run/run-script";
import openrlhfFlags from "./fixtures/engines/openrlhf-flags.json";
import trlFlags from "./fixtures/engines/trl-flags.json";

const FIXTURES = { openrlhf: openrlhfFlags, trl: trlFlags };

const full: RunData["counts"] = { preferenceTrain: 10, preferenceEval: 2, sftTrain: 5, sftEval: 1, promptsTrain: 20, promptsEval: 3 };
const noSftNoEval: RunData["counts"] = { preferenceTrain: 10, preferenceEval: 0, sftTrain: 0, sftEval: 0, promptsTrain: 20, promptsEval: 0 };
const VARIANTS: RunData[] = [
  { style: "standard", counts: full },
  { style: "conversational", counts: full },
  { style: "standard", counts: noSftNoEval },
];

describe("export-run command lines", () => {
  for (const engine of ENGINES) {
    it(`${engine}: every flag is one its trainer defines at commit ${CHECKED_VERSIONS[engine].commit.slice(0, 12)}`, () => {
      const fixture = FIXTURES[engine];
      expect(fixture.commit).toBe(CHECKED_VERSIONS[engine].commit);
      for (const data of VARIANTS) {
        const commands = engineCommands(engine, data);
        for (const c of commands) {
          const known = new Set((fixture.trainers as Record<string, string[]>)[c.trainer]);
          expect(known.size, `${c.trainer} is in the fixture`).toBeGreaterThan(0);
          const unknown = c.args.map(([flag]) => flag).filter((f) => !known.has(f));
          expect(unknown, `${engine} ${c.trainer}`).toEqual([]);
        }
      }
    });

    if (engine === "openrlhf")
      it("openrlhf: PPO with every model on the same GPUs leaves vLLM half of each and lets vLLM and DeepSpeed sleep in turn", () => {
        for (const data of VARIANTS) {
          const ppo = new Map(engineCommands(engine, data).find((c) => c.step === "ppo")!.args);
          expect(ppo.has("--train.colocate_all")).toBe(true);
          // vLLM's default 0.95 (train_ppo_ray.py) would leave the colocated actor, critic, reward and reference models 5%
          expect(ppo.get("--vllm.gpu_memory_utilization")).toBe('"$VLLM_GPU_MEMORY"');
          expect(configScript(engine, data)).toContain(': "${VLLM_GPU_MEMORY:=0.5}"');
          expect(ppo.has("--vllm.enable_sleep") && ppo.has("--ds.enable_sleep")).toBe(true);
        }
      });

    it(`${engine}: the steps follow the data (no SFT data: no SFT step; no held-out data: no evaluation split)`, () => {
      const steps = (counts: RunData["counts"]) => engineCommands(engine, { style: "standard", counts }).map((c) => c.step);
      expect(steps(full)).toEqual(["sft", "reward_model", "ppo", "dpo"]);
      expect(steps(noSftNoEval)).toEqual(["reward_model", "ppo", "dpo"]);
      const flags = engineCommands(engine, { style: "standard", counts: noSftNoEval }).flatMap((c) => c.args.map(([f]) => f));
      expect(flags.some((f) => f.startsWith("--eval") || f === "--dataset_test_split")).toBe(false);
    });

    it(`${engine}: run.sh is valid bash, names every command, and refuses to run until BASE_MODEL is named`, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "export-run-sh-"));
      for (const data of VARIANTS) {
        const script = runScript(engine, data);
        for (const c of engineCommands(engine, data)) expect(script).toContain(commandLine(c).replace(/^/gm, "  ").replace(/^ {2}/, ""));
        fs.writeFileSync(path.join(dir, "run.sh"), script, { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "config.sh"), configScript(engine, data, batchWarnings(engine, data.counts, defaultBatchSettings())));
        execFileSync("bash", ["-n", path.join(dir, "run.sh")]);
        const env = { ...process.env };
        delete env.BASE_MODEL;
        const run = spawnSync("bash", [path.join(dir, "run.sh")], { env, encoding: "utf8" });
        expect(run.status).toBe(2);
        expect(run.stderr).toMatch(/set BASE_MODEL/);
      }
      // with the engine's launchers stubbed to log their arguments: the default run is SFT, reward model, then PPO/RLOO; `dpo` is SFT then DPO
      const bin = path.join(dir, "bin");
      fs.mkdirSync(bin, { recursive: true });
      for (const tool of ["deepspeed", "python3", "trl"]) fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> "$LOG"\n`, { mode: 0o755 });
      fs.writeFileSync(path.join(dir, "run.sh"), runScript(engine, VARIANTS[0]!), { mode: 0o755 });
      // run from another folder (cwd: the temporary root), as Ray's workers would be
      const ran = (step?: string, extra: Record<string, string> = {}) => {
        const log = path.join(dir, `log-${step ?? "rlhf"}-${Object.keys(extra).join("-")}`);
        const r = spawnSync("bash", [path.join(dir, "run.sh"), ...(step ? [step] : [])], { cwd: os.tmpdir(), env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, BASE_MODEL: "gpt2", LOG: log, ...extra }, encoding: "utf8" });
        expect(r.status, r.stderr).toBe(0);
        return fs.readFileSync(log, "utf8").trim().split("\n");
      };
      const trainers = (lines: string[]) => lines.map((l) => engineCommands(engine, VARIANTS[0]!).find((c) => l.startsWith(c.launcher))!.step);
      expect(trainers(ran())).toEqual(["sft", "reward_model", "ppo"]);
      expect(trainers(ran("dpo"))).toEqual(["sft", "dpo"]);
      // every data file, output folder and the SFT model is an absolute path in the export's folder
      const real = fs.realpathSync(dir);
      const model = engine === "openrlhf" ? "--model.model_name_or_path" : "--model_name_or_path";
      expect(ran("rm")[0]).toContain(`${model} ${real}/runs/sft `);
      for (const line of [...ran(), ...ran("dpo")]) {
        const paths = line.split(" ").filter((word) => /(^|\/)(data|runs)\//.test(word));
        expect(paths.length, line).toBeGreaterThan(0);
        for (const p of paths) expect(p, line).toMatch(new RegExp(`^${real.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/(data|runs)/`));
      }
      // a relative OUT is taken from the folder; a local model folder becomes absolute; a Hugging Face id stays as it is
      fs.mkdirSync(path.join(dir, "my-sft"), { recursive: true });
      expect(ran("rm", { OUT: "elsewhere", SFT_MODEL: "my-sft" })[0]).toMatch(new RegExp(`${model} ${real}/my-sft .*${real}/elsewhere/rm`));
      expect(ran("rm", { SFT_MODEL: "org/some-model" })[0]).toContain(`${model} org/some-model `);
      // conversational data needs the chat template (OpenRLHF applies it only when asked)
      const conversational = engineCommands(engine, VARIANTS[1]!).flatMap((c) => c.args.map(([f]) => f));
      if (engine === "openrlhf") expect(conversational).toContain("--data.apply_chat_template");
      expect(engineCommands(engine, VARIANTS[0]!).flatMap((c) => c.args.map(([f]) => f))).not.toContain("--data.apply_chat_template");
    });
  }
});

describe("export-run batch sizes against the data", () => {
  const many: RunData["counts"] = { preferenceTrain: 640, preferenceEval: 64, sftTrain: 100, sftEval: 10, promptsTrain: 300, promptsEval: 30 };
  const defaults = defaultBatchSettings();

  it("openrlhf: a training file with fewer lines than BATCH_SIZE is named (len // BATCH_SIZE = 0 steps), in config.sh too", () => {
    expect(defaults).toMatchObject({ BATCH_SIZE: 64, MICRO_BATCH_SIZE: 1, GPUS: 8 });
    expect(batchWarnings("openrlhf", many, defaults)).toEqual([]);
    const warnings = batchWarnings("openrlhf", full, defaults);
    expect(warnings).toEqual([expect.stringMatching(/^SFT: 5 training line\(s\), fewer than BATCH_SIZE 64: .* = 0 steps\. Set BATCH_SIZE in config\.sh to at most 5/), expect.stringMatching(/^reward model and DPO: 10 /), expect.stringMatching(/^PPO: 20 /)]);
    // no SFT data: no SFT warning
    expect(batchWarnings("openrlhf", noSftNoEval, defaults).map((w) => w.split(":")[0])).toEqual(["reward model and DPO", "PPO"]);
    expect(batchWarnings("openrlhf", many, { ...defaults, BATCH_SIZE: 60 })).toEqual([expect.stringMatching(/^PPO: BATCH_SIZE 60 is not a multiple of MICRO_BATCH_SIZE 1 x GPUS 8/)]);
    const config = configScript("openrlhf", { style: "standard", counts: full }, warnings);
    expect(config).toContain("# This export's training lines: 10 preference pairs, 5 SFT pairs, 20 prompts");
    expect(config).toContain("len(file) // BATCH_SIZE");
    for (const w of warnings) expect(config).toContain(`# WARNING: ${w}`);
  });

  it("trl: fewer lines than one batch on one GPU, and an RLOO batch NUM_GENERATIONS does not divide, are named", () => {
    expect(batchWarnings("trl", full, defaults)).toEqual([expect.stringMatching(/^SFT: 5 training line\(s\), fewer than one global batch even on one GPU \(MICRO_BATCH_SIZE x GRAD_ACCUM = 8\)/)]);
    expect(batchWarnings("trl", many, defaults)).toEqual([]);
    expect(batchWarnings("trl", many, { ...defaults, NUM_GENERATIONS: 3 })).toEqual([expect.stringMatching(/^RLOO: MICRO_BATCH_SIZE x GRAD_ACCUM = 8 is not divisible by NUM_GENERATIONS 3/)]);
    expect(configScript("trl", { style: "standard", counts: many })).toContain("divisible by NUM_GENERATIONS");
  });
});

describe("export-run lengths, estimated without the tokenizer", () => {
  const messages = [{ role: "user" as const, content: "Q" }];

  it("counts a line over MAX_LEN at one token a byte (at most) and at four bytes a token (likely); prompts against MAX_LEN - MAX_NEW_TOKENS", () => {
    const t = new LengthTally(1024, 256);
    const short = preferenceLine(messages, "yes", "no", "standard");
    const medium = preferenceLine(messages, "x".repeat(2000), "no", "standard"); // 2000+ bytes: about 500 tokens
    const long = preferenceLine(messages, "no", "x".repeat(5000), "standard"); // the longer answer counts, rejected or chosen
    for (const p of [short, medium, long]) t.pair(p.prompt, p.chosen, p.rejected);
    const s = sftLine(messages, "é".repeat(2100), "standard"); // 4200 bytes: two per character
    t.sft(s.prompt, s.completion);
    t.prompt(promptLine([{ role: "user", content: "y".repeat(800) }], "standard").prompt); // over 768 bytes, under 768 tokens at 4 a token
    t.prompt(promptLine([{ role: "user", content: "y".repeat(3100) }], "standard").prompt);
    const r = t.result();
    expect(r).toMatchObject({ maxLen: 1024, maxNewTokens: 256, filtered: false, of: { pairs: 3, sft: 1, prompts: 2 } });
    expect(r.mayExceed).toEqual({ pairs: 2, sft: 1, prompts: 2 });
    expect(r.likelyExceed).toEqual({ pairs: 1, sft: 1, prompts: 1 });
    expect(lengthSummary(r)).toMatch(/1 of 3 pairs, 1 of 1 SFT pairs, 1 of 2 prompts longer at 4 bytes a token; at most 2 of 3 pairs, 1 of 1 SFT pairs, 2 of 2 prompts at one token a byte/);
    expect(lengthWarnings(r)).toEqual([expect.stringMatching(/^about 1 pair\(s\), 1 SFT pair\(s\) and 1 prompt\(s\) are longer than MAX_LEN 1024 .*RewardTrainer drops such pairs/)]);
    expect(lengthWarnings(new LengthTally(1024, 256).result())).toEqual([]);
  });

  it("a message list adds the chat template's markers per message", () => {
    const t = new LengthTally(100, 10);
    const p = preferenceLine([{ role: "system", content: "s" }, ...messages], "a".repeat(75), "b", "conversational"); // 77 bytes, 3 messages
    t.pair(p.prompt, p.chosen, p.rejected);
    expect(t.result().mayExceed.pairs).toBe(1); // 77 + 3 x 8 + eos = 102 > 100
    expect(t.result().likelyExceed.pairs).toBe(0); // 20 + 24 + 1
  });
});

describe("export-run lines, as the engines' loaders read them", () => {
  const messages = [
    { role: "system" as const, content: "Be brief." },
    { role: "user" as const, content: "What colour is the sky?" },
  ];

  it("standard: text the engines concatenate into Arbiter's own transcript", () => {
    const p = preferenceLine(messages, "Blue.", "Green.", "standard");
    expect(Object.keys(p).sort()).toEqual(["chosen", "prompt", "rejected"]);
    // OpenRLHF openrlhf/datasets/reward_dataset.py L35-41 reads data[prompt_key], data[chosen_key],
    // data[rejected_key] as strings and L141 tokenizes (prompt + chosen); TRL
    // trl/trainer/reward_trainer.py L668-670 (explicit prompt) concatenates the same way.
    expect(`${p.prompt}${p.chosen}`).toBe("\n\nSystem: Be brief.\n\nHuman: What colour is the sky?\n\nAssistant: Blue.");
    expect(`${p.prompt}${p.rejected}`).toBe("\n\nSystem: Be brief.\n\nHuman: What colour is the sky?\n\nAssistant: Green.");
    // OpenRLHF sft_dataset.py L27-31: prompt = data[input_key], response = data[output_key]; TRL sft_trainer.py L1465-1476
    const s = sftLine(messages, "Blue.", "standard");
    expect(Object.keys(s).sort()).toEqual(["completion", "prompt"]);
    expect(`${s.prompt}${s.completion}`).toBe(`${p.prompt}${p.chosen}`);
    // OpenRLHF prompts_dataset.py L39: prompt = data[input_key]
    expect(promptLine(messages, "standard")).toEqual({ prompt: p.prompt });
  });

  it("standard: every OpenRLHF trainer reads the prompt as written, with no input template around it", () => {
    // the fixture's textDefaults: train_sft's --data.input_template defaults to "User: {}\nAssistant: ", the others' to None
    const defaults = openrlhfFlags.textDefaults.trainers as Record<string, Record<string, string | boolean | null>>;
    // train_*.py after parse_args: a template without "{}" is dropped; the datasets then format the prompt into it
    const wrapped = (prompt: string, template: string | null) => {
      if (!template || !template.includes("{}")) return prompt;
      expect(template.replace("{}", ""), "a template with no field but one {}").not.toMatch(/[{}]/);
      return template.replace("{}", () => prompt); // Python's template.format(prompt)
    };
    const text = preferenceLine(messages, "Blue.", "Green.", "standard").prompt as string;
    for (const counts of [full, noSftNoEval]) {
      for (const c of engineCommands("openrlhf", { style: "standard", counts })) {
        const given = new Map(c.args);
        const template = given.has("--data.input_template") ? given.get("--data.input_template")! : (defaults[c.trainer]!["--data.input_template"] as string | null);
        expect(given.has("--data.apply_chat_template") || defaults[c.trainer]!["--data.apply_chat_template"], c.trainer).toBe(false);
        expect(wrapped(text, template), c.trainer).toBe(text);
      }
    }
    // with the chat template (conversational) every trainer is asked for it, and the input template is not used
    for (const c of engineCommands("openrlhf", { style: "conversational", counts: full })) expect(c.args.map(([f]) => f), c.trainer).toContain("--data.apply_chat_template");
  });

  it("conversational: message lists the engines' chat-template paths concatenate", () => {
    const p = preferenceLine(messages, "Blue.", "Green.", "conversational");
    // TRL trl/data_utils.py L184-195 (is_conversational): a list whose first item is a dict with "role"
    for (const key of ["prompt", "chosen", "rejected"] as const) {
      expect(Array.isArray(p[key])).toBe(true);
      expect((p[key] as { role: string }[])[0]).toHaveProperty("role");
    }
    // OpenRLHF reward_dataset.py L19-22: apply_chat_template(data[prompt_key] + data[chosen_key]): list concatenation
    expect([...(p.prompt as object[]), ...(p.chosen as object[])]).toEqual([...messages, { role: "assistant", content: "Blue." }]);
    // OpenRLHF sft_dataset.py L14-22: prompt_message + response_message, lists
    const s = sftLine(messages, "Blue.", "conversational");
    expect(s).toEqual({ prompt: messages, completion: [{ role: "assistant", content: "Blue." }] });
    expect(promptLine(messages, "conversational")).toEqual({ prompt: messages });
  });
});
