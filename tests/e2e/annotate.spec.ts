import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { arbiterCli, signIn, uniqueEmail } from "./helpers";
import { E2E } from "./settings";

type Api = APIRequestContext;

async function adminApi(playwright: { request: { newContext: (o: object) => Promise<Api> } }): Promise<Api> {
  const token = await arbiterCli("token", "create", "--email", E2E.admin.email);
  return playwright.request.newContext({ baseURL: E2E.baseUrl, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
}

async function newAnnotator(label: string): Promise<{ email: string; password: string }> {
  const email = uniqueEmail(label);
  await arbiterCli("user", "add", "--email", email, "--role", "annotator", "--password", "annotate-me-please");
  return { email, password: "annotate-me-please" };
}

async function setUpProject(api: Api, settings: object, records: object[], members: string[]): Promise<string> {
  const created = await api.post("/api/v1/projects", { data: settings });
  expect(created.status()).toBe(201);
  const { id } = await created.json();
  const imported = await api.post(`/api/v1/projects/${id}/import`, {
    headers: { "content-type": "application/x-ndjson" },
    data: records.map((r) => JSON.stringify(r)).join("\n"),
  });
  expect(imported.status(), await imported.text()).toBe(201);
  expect((await api.post(`/api/v1/projects/${id}/members`, { data: { emails: members } })).status()).toBe(200);
  return id;
}

async function expectNoHorizontalOverflow(page: Page, name: string) {
  await page.screenshot({ path: `test-results/e2e/phone-${name}.png`, fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `${name} overflows by ${overflow}px`).toBeLessThanOrEqual(0);
}

const pairwiseRecords = [
  { prompt: "Write a greeting", responses: [{ text: "Hello there! <script>window.__xss = 1</script>", source: "m1" }, { text: "Hi.", source: "m2" }] },
  { prompt: [{ role: "system", content: "You are terse." }, { role: "user", content: "Sum 1..3 in Python" }], responses: [{ text: "```python\nprint(sum(range(1, 4)))\n```", source: "m1" }, { text: "It is 6.", source: "m2" }] },
  { prompt: "Name a colour", responses: [{ text: "Blue, like the sky on a clear day.", source: "m1" }, { text: "Seven.", source: "m2" }] },
  { prompt: "Capital of Italy?", responses: [{ text: "Rome is the capital of Italy.", source: "m1" }, { text: "Milan, probably.", source: "m2" }] },
];

test("two annotators finish a pairwise project with redundancy 2, one by keyboard alone", async ({ browser, playwright }) => {
  const api = await adminApi(playwright);
  const mouse = await newAnnotator("mouse");
  const keys = await newAnnotator("keys");
  const projectId = await setUpProject(
    api,
    { name: "Greetings", mode: "pairwise", redundancy: 2, instructions: "Prefer **helpful** answers." },
    pairwiseRecords,
    [mouse.email, keys.email],
  );

  // The first annotator uses the mouse.
  const p1 = await (await browser.newContext()).newPage();
  await signIn(p1, mouse.email, mouse.password);
  await p1.getByRole("link", { name: "Greetings" }).click();
  for (let i = 0; i < pairwiseRecords.length; i++) {
    await expect(p1.getByTestId("task")).toBeVisible();
    if (await p1.getByText("Write a greeting").isVisible()) {
      // Model output is shown as the characters it is, never run as HTML.
      await expect(p1.getByText("Hello there! <script>window.__xss = 1</script>")).toBeVisible();
    }
    await p1.getByRole("radio", { name: i % 2 ? "B better" : "A much better" }).click();
    await p1.getByRole("button", { name: /Submit/ }).click();
    await expect(p1.getByTestId("session-count")).toContainText(`${i + 1} judged this session`);
  }
  await expect(p1.getByTestId("all-done")).toBeVisible();
  // Model output is shown as text, never run.
  expect(await p1.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();

  // The second annotator never touches the mouse after signing in.
  const p2 = await (await browser.newContext()).newPage();
  await signIn(p2, keys.email, keys.password);
  await p2.goto(`/annotate/${projectId}`);
  await expect(p2.getByTestId("task")).toBeVisible();
  await p2.keyboard.press("?");
  await expect(p2.getByRole("dialog")).toContainText("Keyboard shortcuts");
  await p2.keyboard.press("Escape");
  await p2.keyboard.press("i");
  await expect(p2.getByRole("dialog")).toContainText("Prefer helpful answers.");
  await p2.keyboard.press("Escape");

  const first = await p2.getByTestId("task").getAttribute("data-comparison-id");
  await p2.keyboard.press("5");
  await p2.keyboard.press("Enter");
  await expect(p2.getByTestId("session-count")).toContainText("1 judged this session");
  await p2.keyboard.press("u"); // undo brings the same comparison back
  await expect(p2.getByTestId("task")).toHaveAttribute("data-comparison-id", first!);
  await expect(p2.getByTestId("session-count")).toContainText("0 judged this session");
  for (let i = 0; i < pairwiseRecords.length; i++) {
    await expect(p2.getByTestId("task")).toBeVisible();
    await p2.keyboard.press(String((i % 5) + 1));
    if (i === 0) await p2.keyboard.press("b");
    await p2.keyboard.press("Enter");
    await expect(p2.getByTestId("session-count")).toContainText(`${i + 1} judged this session`);
  }
  await expect(p2.getByTestId("all-done")).toBeVisible();

  const project = await (await api.get(`/api/v1/projects/${projectId}`)).json();
  expect(project.progress).toMatchObject({ comparisons: 4, complete: 4, judgments: 8 });
  const judgments = await (await api.get(`/api/v1/projects/${projectId}/judgments`)).json();
  expect(judgments).toHaveLength(8);
  expect(judgments.filter((j: { bothBad: boolean }) => j.bothBad)).toHaveLength(1);
  // The admin sees each comparison's judgments side by side.
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, E2E.admin.email, E2E.admin.password);
  await admin.goto(`/admin/projects/${projectId}/comparisons/${judgments[0].comparisonId}`);
  await expect(admin.getByTestId("comparison-judgments").locator("> div")).toHaveCount(2);

  // The leaderboard rates the two sources; members may read it, only admins see agreement.
  const board = await (await api.get(`/api/v1/projects/${projectId}/leaderboard`)).json();
  expect(board.map((r: { source: string }) => r.source).sort()).toEqual(["m1", "m2"]);
  for (const r of board) expect(r).toMatchObject({ rating: expect.any(Number), ciLow: expect.any(Number), ciHigh: expect.any(Number), n: 8 });
  const mouseToken = await arbiterCli("token", "create", "--email", mouse.email);
  const asMember = { headers: { authorization: `Bearer ${mouseToken}` } };
  expect((await api.get(`/api/v1/projects/${projectId}/leaderboard`, asMember)).status()).toBe(200);
  expect((await api.get(`/api/v1/projects/${projectId}/agreement`, asMember)).status()).toBe(403);
  expect((await api.get(`/api/v1/projects/${projectId}/export?format=raw`, asMember)).status()).toBe(403);
  const exported = await api.get(`/api/v1/projects/${projectId}/export?format=pairwise`);
  expect(exported.headers()["content-type"]).toContain("application/x-ndjson");
  const pairs = (await exported.text()).trim().split("\n").map((l) => JSON.parse(l));
  expect(pairs).toHaveLength(8 - 1); // 8 judgments, one of them a tie (key 3), left out by default
  expect(pairs.every((p: { chosen: string; rejected: string }) => typeof p.chosen === "string" && p.chosen !== p.rejected)).toBe(true);
  const card = await api.get(`/api/v1/projects/${projectId}/export/card?format=pairwise`);
  expect(card.headers()["content-type"]).toContain("text/markdown");
  expect(await card.text()).toMatch(/^---\npretty_name: "Greetings"[\s\S]*- Rows: 7\n/);
  expect((await (await api.get(`/api/v1/projects/${projectId}/agreement`)).json()).judgments).toBe(8);

  // Excluding an annotator on the quality page takes their judgments out of the statistics.
  await admin.goto(`/admin/projects/${projectId}/quality`);
  await expect(admin.getByTestId("leaderboard").locator("tbody tr")).toHaveCount(2);
  await admin.getByRole("button", { name: `Exclude ${mouse.email}` }).click();
  await expect(admin.getByTestId(`quality-${mouse.email}`)).toContainText("excluded");
  expect((await (await api.get(`/api/v1/projects/${projectId}/agreement`)).json()).judgments).toBe(4);
  await api.dispose();
});

test("an annotator finishes a k = 4 project by drag and drop, and the stored ranking is the one shown", async ({ page, playwright }) => {
  const api = await adminApi(playwright);
  const ranker = await newAnnotator("ranker");
  const answers = (topic: string) =>
    ["short answer", "a longer and more careful answer", "an answer with a list:\n\n- one\n- two", "a wrong answer entirely"].map((t, i) => ({ text: `${topic}: ${t}`, source: `model-${i}` }));
  const projectId = await setUpProject(
    api,
    { name: "Ranking", mode: "kwise", k: 4, redundancy: 1 },
    [{ prompt: "Explain tides", responses: answers("tides") }, { prompt: "Explain seasons", responses: answers("seasons") }],
    [ranker.email],
  );

  await signIn(page, ranker.email, ranker.password);
  await page.goto(`/annotate/${projectId}`);
  for (let i = 0; i < 2; i++) {
    await expect(page.getByTestId("task")).toBeVisible();
    // Drag D to the top, then C onto B's place, then tie the last with the one above.
    await page.getByTestId("rank-item-D").dragTo(page.getByTestId("rank-item-A"));
    await expect(page.getByTestId("ranking-summary")).toHaveText(/^Ranking: 1\. D · 2\. A · 3\. B · 4\. C$/);
    await page.getByTestId("rank-item-C").dragTo(page.getByTestId("rank-item-B"));
    await expect(page.getByTestId("ranking-summary")).toHaveText(/^Ranking: 1\. D · 2\. A · 3\. C · 4\. B$/);
    await page.getByRole("button", { name: "Tie B with the one above" }).click();
    await expect(page.getByTestId("ranking-summary")).toHaveText("Ranking: 1. D · 2. A · 3. C = B");
    await page.getByRole("button", { name: /Submit/ }).click();
    await expect(page.getByTestId("session-count")).toContainText(`${i + 1} judged this session`);
  }
  await expect(page.getByTestId("all-done")).toBeVisible();

  const judgments: { ranking: string[][]; shownOrder: string[] }[] = await (await api.get(`/api/v1/projects/${projectId}/judgments`)).json();
  expect(judgments).toHaveLength(2);
  for (const j of judgments) {
    // Letters are positions in the order shown: what was dragged is what was stored.
    const letters = j.ranking.map((g) => g.map((id) => "ABCD"[j.shownOrder.indexOf(id)]).sort());
    expect(letters).toEqual([["D"], ["A"], ["B", "C"]]);
  }
  await api.dispose();
});

test("the annotation screens fit a phone without horizontal scrolling", async ({ browser, playwright }) => {
  const api = await adminApi(playwright);
  const phoneUser = await newAnnotator("phone");
  const long = "A very long line without spaces: " + "x".repeat(300);
  const pairwise = await setUpProject(
    api,
    { name: "Phone pairwise", mode: "pairwise", criteria: ["helpful", "harmless"] },
    [{ prompt: "Show code", responses: [{ text: "```js\n" + "const value = 1; ".repeat(30) + "\n```" }, { text: long }] }],
    [phoneUser.email],
  );
  const kwise = await setUpProject(
    api,
    { name: "Phone ranking", mode: "kwise", k: 3 },
    [{ prompt: "Rank", responses: [{ text: long }, { text: "| a | b |\n|---|---|\n| " + "wide cell ".repeat(20) + " | x |" }, { text: "short" }] }],
    [phoneUser.email],
  );
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await signIn(page, phoneUser.email, phoneUser.password);
  await expect(page).toHaveURL(/\/annotate$/);
  await expectNoHorizontalOverflow(page, "projects");
  for (const [id, name] of [[pairwise, "pairwise"], [kwise, "kwise"]] as const) {
    await page.goto(`/annotate/${id}`);
    await expect(page.getByTestId("task")).toBeVisible();
    await expectNoHorizontalOverflow(page, name);
  }
  await api.dispose();
});

test("arbiter sim judges a project over HTTP with simulated annotators", async ({ playwright }) => {
  const api = await adminApi(playwright);
  const records = Array.from({ length: 10 }, (_, i) => ({
    prompt: `Describe item ${i}`,
    responses: [
      { text: `Item ${i} is a well described thing with many careful words about it`, source: "verbose" },
      { text: `Item ${i}.`, source: "terse" },
    ],
  }));
  const projectId = await setUpProject(api, { name: "Simulated", mode: "pairwise", redundancy: 2 }, records, [E2E.admin.email]);
  const adminToken = await arbiterCli("token", "create", "--email", E2E.admin.email);
  const out = await arbiterCli("sim", "--url", E2E.baseUrl, "--token", adminToken, "--project", projectId, "--annotators", "3", "--noise", "0", "--oracle", "length");
  expect(out).toMatch(/^20 judgments by 3 simulated annotators/);
  const project = await (await api.get(`/api/v1/projects/${projectId}`)).json();
  expect(project.progress).toMatchObject({ comparisons: 10, complete: 10, judgments: 20 });
  const board = await (await api.get(`/api/v1/projects/${projectId}/leaderboard`)).json();
  expect(board[0].source).toBe("verbose"); // the length oracle always prefers the longer answer
  await api.dispose();
});
