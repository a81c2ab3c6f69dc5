import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";
import { arbiterCli, signInAsAdmin } from "./helpers";
import { E2E } from "./settings";

/** A whole round in well under a minute: the demo's phases on a model of one small layer. */
const QUICK_ROUND = {
  scratchModel: { nEmbd: 32, nLayer: 1, nHead: 2, nPositions: 128 },
  sft: { epochs: 1, batchSize: 32, maxTokens: 128 },
  rewardModel: { epochs: 1, batchSize: 32, maxTokens: 128 },
  policy: { iterations: 3, promptsPerIteration: 8, maxNewTokens: 8, miniBatch: 8, ppoEpochs: 1 },
  evaluate: { prompts: 8, samplesPerPrompt: 1, maxNewTokens: 8 },
  generate: { prompts: 10, maxNewTokens: 8 },
};

test("an admin creates the demo project; simulated annotators judge it; a round starts by itself at the threshold, its charts move, and the playground shows the policy's answers", async ({ page, playwright }) => {
  test.setTimeout(300_000);
  await signInAsAdmin(page);
  await page.goto("/admin/projects");
  await page.getByRole("button", { name: "Create demo project" }).click();
  await page.waitForURL(/\/admin\/projects\/[0-9a-f-]{36}$/);
  const id = page.url().split("/").at(-1)!;
  await expect(page.getByText("Demonstrations", { exact: true })).toBeVisible();

  const token = await arbiterCli("token", "create", "--email", E2E.admin.email);
  const api = await playwright.request.newContext({ baseURL: E2E.baseUrl, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
  const project = await (await api.get(`/api/v1/projects/${id}`)).json();
  expect(project.roundThreshold).toBeGreaterThan(0);
  expect(project.roundSettings.phases).toEqual(["sft", "reward_model", "policy", "evaluate", "generate"]);
  // the demo's own settings take minutes; this test keeps the phases and shrinks the model
  const patched = await api.patch(`/api/v1/projects/${id}`, { data: { roundSettings: { ...project.roundSettings, ...QUICK_ROUND } } });
  expect(patched.status(), await patched.text()).toBe(200);

  // simulated annotators judge by the demo task's hidden oracle, through the HTTP API
  let simOutcome = "running";
  const sim = promisify(execFile)(
    process.execPath,
    ["bin/arbiter.mjs", "sim", "--url", E2E.baseUrl, "--token", token, "--project", id, "--annotators", "4", "--oracle", "number-words", "--seed", "3"],
    { env: { ...process.env, ARBITER_DATA_DIR: E2E.dataDir, DATABASE_URL: "" }, timeout: 240_000 },
  ).then(
    (r) => void (simOutcome = `done: ${r.stdout}`),
    (err: { stderr?: string; message?: string }) => void (simOutcome = `failed: ${err.stderr ?? err.message}`),
  );

  // the trainer starts a round by itself once the threshold's judgments are in
  await page.goto(`/admin/projects/${id}/rounds`);
  let rounds: { id: string; trigger: string; status: string }[] = [];
  for (let i = 0; i < 120 && rounds.length === 0; i++) {
    await page.waitForTimeout(1000);
    rounds = await (await api.get(`/api/v1/projects/${id}/rounds`)).json();
  }
  const { progress } = await (await api.get(`/api/v1/projects/${id}`)).json();
  expect(rounds[0]?.trigger, `sim ${simOutcome}; progress ${JSON.stringify(progress)}`).toBe("threshold");
  // one is enough for this test: no more rounds after it
  expect((await api.patch(`/api/v1/projects/${id}`, { data: { roundThreshold: null } })).status()).toBe(200);
  await sim;

  await page.reload();
  await expect(page.getByTestId("live-status")).toHaveText("succeeded", { timeout: 200_000 });
  const live = page.getByTestId("live-round");
  await expect(live.getByRole("figure", { name: "PPO reward per iteration" }).locator(".recharts-line-curve")).not.toHaveCount(0);
  const view = await (await api.get(`/api/v1/rounds/${rounds[0]!.id}`)).json();
  expect(view.status).toBe("succeeded");
  expect(view.artifacts.map((a: { kind: string }) => a.kind).sort()).toEqual(["lora_adapter", "policy", "reward_model", "sft"]);

  // the policy answers in the playground, next to the SFT model
  await page.goto(`/admin/projects/${id}/playground`);
  await page.getByLabel("Prompt").fill("Write 7 in words.");
  await page.getByLabel("Max new tokens").fill("8");
  await page.getByRole("button", { name: "Generate" }).click();
  await expect(page.getByTestId("playground-sample")).not.toHaveCount(0, { timeout: 30_000 });
  await api.dispose();
});
