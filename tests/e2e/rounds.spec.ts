import { expect, test } from "@playwright/test";
import { arbiterCli, signInAsAdmin, uniqueEmail } from "./helpers";
import { E2E } from "./settings";

const preferences = Array.from({ length: 24 }, (_, i) => ({
  prompt: `Can you help with task ${i}?`,
  chosen: `Of course, happy to help with task ${i}. Thanks for asking!`,
  rejected: `No. Task ${i} is your problem.`,
}));

test("an admin starts a round; the trainer fine-tunes on demonstrations, fits a reward model (scores next to responses), runs PPO and puts the policy's answers up for judging", async ({ page, playwright }) => {
  test.setTimeout(240_000);
  const token = await arbiterCli("token", "create", "--email", E2E.admin.email);
  const api = await playwright.request.newContext({ baseURL: E2E.baseUrl, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
  const created = await api.post("/api/v1/projects", {
    data: {
      name: "Reward model e2e",
      mode: "pairwise",
      roundSettings: {
        sft: { epochs: 2, batchSize: 8, maxTokens: 96 },
        // a third of 24 prompts for validation: with a tenth, a draw with no validation prompt (no validation curves) is likely
        rewardModel: { epochs: 3, batchSize: 8, learningRate: 0.001, maxTokens: 96, validationFraction: 0.3 },
        evaluate: { prompts: 4, samplesPerPrompt: 2, maxNewTokens: 8 },
        policy: { iterations: 2, promptsPerIteration: 4, maxNewTokens: 8, miniBatch: 4, ppoEpochs: 1 },
        generate: { prompts: 6, maxNewTokens: 16 },
      },
    },
  });
  expect(created.status()).toBe(201);
  const { id } = await created.json();
  const imported = await api.post(`/api/v1/projects/${id}/import`, {
    headers: { "content-type": "application/x-ndjson" },
    // preferences, and the preferred answers as demonstrations for SFT
    data: [...preferences, ...preferences.map((p) => ({ prompt: p.prompt, completion: p.chosen }))].map((r) => JSON.stringify(r)).join("\n"),
  });
  expect(imported.status(), await imported.text()).toBe(201);

  await signInAsAdmin(page);
  await page.goto(`/admin/projects/${id}`);
  await page.getByRole("link", { name: "Rounds and reward models" }).click();
  await page.getByLabel("Reward-model epochs").fill("3");
  await page.getByLabel("Phases").selectOption("full");
  await page.getByRole("button", { name: "Start a round" }).click();
  await expect(page.getByRole("status")).toHaveText("Round 1 queued");
  // a second one while the first is queued or running is refused
  expect((await api.post(`/api/v1/projects/${id}/rounds`)).status()).toBe(409);
  // followed live (server-sent events), without reloading the page
  await expect(page.getByTestId("live-status")).toHaveText("succeeded", { timeout: 200_000 });
  const rewardModelChart = page.getByTestId("live-round").getByRole("figure", { name: "Reward-model metrics per epoch" });
  await expect(rewardModelChart).toBeVisible();
  // drawn by the charting library: a line per metric (validation accuracy, train and validation loss), with a legend
  await expect(rewardModelChart.locator(".recharts-line-curve")).toHaveCount(3);
  await expect(rewardModelChart.locator(".recharts-legend-wrapper")).toContainText("validation accuracy");
  await expect(page.getByTestId("live-round").getByRole("figure", { name: "PPO reward per iteration" }).locator(".recharts-line-curve")).not.toHaveCount(0);

  const [round] = await (await api.get(`/api/v1/projects/${id}/rounds`)).json();
  let view: { status: string; error?: string; metrics: Record<string, number>; artifacts: { id: string; kind: string }[] } = await (await api.get(`/api/v1/rounds/${round.id}`)).json();
  for (let i = 0; i < 150 && (view.status === "queued" || view.status === "running"); i++) {
    await page.waitForTimeout(1000);
    view = await (await api.get(`/api/v1/rounds/${round.id}`)).json();
  }
  expect(view.error).toBeUndefined();
  expect(view.status).toBe("succeeded");
  expect(view.metrics["reward_model/train/loss"]).toBeGreaterThan(0);
  const rewardModel = view.artifacts.find((a) => a.kind === "reward_model")!;
  expect(rewardModel).toBeDefined();
  // SFT and PPO ran, and the policy's answers wait for annotators in new comparisons
  expect(view.artifacts.map((a) => a.kind).sort()).toEqual(["lora_adapter", "policy", "reward_model", "sft"]);
  expect(view.metrics["sft/val/perplexity"] ?? view.metrics["sft/train/loss"]).toBeGreaterThan(0);
  expect(view.metrics["policy/env/reward_mean"]).toEqual(expect.any(Number));
  const { progress } = await (await api.get(`/api/v1/projects/${id}`)).json();
  expect(progress.comparisons).toBeGreaterThan(preferences.length);

  await page.reload();
  await expect(page.getByTestId("rounds")).toContainText("succeeded");
  await expect(page.getByTestId("round-epochs").locator("tbody tr")).not.toHaveCount(0);
  await expect(page.getByTestId("reward-models")).toContainText(rewardModel.id);
  // a past round's charts stay browsable after the reload
  await page.getByTestId("round-browser").getByLabel("Round 1").check();
  await expect(page.getByTestId("round-browser").getByRole("figure", { name: "KL to the reference and its coefficient" }).locator(".recharts-line-curve")).toHaveCount(2);

  // the new policy answers a prompt in the playground, sampled by the trainer process
  await page.goto(`/admin/projects/${id}`);
  await page.getByRole("link", { name: "Try the model" }).click();
  await page.getByLabel("Prompt").fill("Can you help with task 5?");
  await page.getByLabel("Max new tokens").fill("8");
  await page.getByRole("button", { name: "Generate" }).click();
  await expect(page.getByTestId("playground-sample")).toHaveCount(2, { timeout: 30_000 });
  const policy = view.artifacts.find((a) => a.kind === "policy")!;
  const sampled = await api.post(`/api/v1/models/${policy.id}/generate`, { data: { prompt: "Can you help with task 5?", n: 3, maxNewTokens: 8, seed: 1 } });
  expect(sampled.status(), await sampled.text()).toBe(200);
  expect((await sampled.json()).samples).toHaveLength(3);
  expect((await api.post(`/api/v1/models/${rewardModel.id}/generate`, { data: { prompt: "x" } })).status()).toBe(404);

  // scores through the API, from the trainer process over HTTP
  const scored = await api.post(`/api/v1/reward-models/${rewardModel.id}/score`, {
    data: { prompt: "Can you help with task 99?", responses: ["Of course, happy to help with task 99. Thanks for asking!", "No. Task 99 is your problem."] },
  });
  expect(scored.status(), await scored.text()).toBe(200);
  const { scores } = await scored.json();
  expect(scores).toHaveLength(2);
  expect(scores[0]).toBeGreaterThan(scores[1]);
  expect((await api.post(`/api/v1/reward-models/${rewardModel.id}/score`, { data: { prompt: "x", responses: [] } })).status()).toBe(400);

  // and next to the responses an admin browses
  const judgments = await (await api.get(`/api/v1/projects/${id}/judgments`)).json();
  const comparisonId = (Array.isArray(judgments) ? judgments : judgments.judgments)[0].comparisonId;
  await page.goto(`/admin/projects/${id}/comparisons/${comparisonId}`);
  await expect(page.getByTestId("reward-score")).toHaveCount(2);

  // the model downloads as a tar archive in Hugging Face's layout
  const download = await api.get(`/api/v1/models/${rewardModel.id}/download`);
  expect(download.status()).toBe(200);
  expect(download.headers()["content-type"]).toBe("application/x-tar");
  expect((await download.body()).toString("latin1")).toContain("model.safetensors");

  // annotators may not score
  const annotator = uniqueEmail("rm-annotator");
  await arbiterCli("user", "add", "--email", annotator, "--role", "annotator", "--password", "annotate-me-please");
  const theirs = await playwright.request.newContext({
    baseURL: E2E.baseUrl,
    extraHTTPHeaders: { authorization: `Bearer ${await arbiterCli("token", "create", "--email", annotator)}` },
  });
  expect((await theirs.post(`/api/v1/reward-models/${rewardModel.id}/score`, { data: { prompt: "x", responses: ["y"] } })).status()).toBe(403);
  expect((await theirs.post(`/api/v1/projects/${id}/rounds`)).status()).toBe(403);
  expect((await theirs.get(`/api/v1/models/${rewardModel.id}/download`)).status()).toBe(403);
  expect((await theirs.post(`/api/v1/models/${rewardModel.id}/generate`, { data: { prompt: "x" } })).status()).toBe(403);
  await theirs.dispose();
  await api.dispose();
});
