import { expect, test } from "@playwright/test";
import { arbiterCli, signInAsAdmin, uniqueEmail } from "./helpers";
import { E2E } from "./settings";

test("an admin previews an export with its counts and downloads it as Parquet; annotators get 403", async ({ page, playwright }) => {
  const token = await arbiterCli("token", "create", "--email", E2E.admin.email);
  const api = await playwright.request.newContext({ baseURL: E2E.baseUrl, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
  const { id } = await (await api.post("/api/v1/projects", { data: { name: "Export e2e", mode: "pairwise" } })).json();
  const records = Array.from({ length: 7 }, (_, i) => ({ prompt: `Question ${i}?`, chosen: `A full answer to ${i}.`, rejected: `No.` }));
  const imported = await api.post(`/api/v1/projects/${id}/import`, { headers: { "content-type": "application/x-ndjson" }, data: records.map((r) => JSON.stringify(r)).join("\n") });
  expect(imported.status(), await imported.text()).toBe(201);

  await signInAsAdmin(page);
  await page.goto(`/admin/projects/${id}`);
  const panel = page.getByTestId("export-panel");
  await panel.getByLabel("File type").selectOption("parquet");
  await panel.getByRole("button", { name: "Preview" }).click();
  await expect(panel.getByTestId("export-counts")).toHaveText("7 judgments · 7 comparisons · 7 prompts · 1 annotators");
  await expect(panel.getByTestId("export-preview")).toContainText("A full answer to");
  const href = await panel.getByRole("link", { name: "Download" }).getAttribute("href");
  expect(href).toContain("as=parquet");

  // the browser's own download (the session cookie, with the fetch metadata a link sends) is served
  const [download] = await Promise.all([page.waitForEvent("download"), panel.getByRole("link", { name: "Download" }).click()]);
  expect(await download.failure()).toBeNull();
  const { readFile } = await import("node:fs/promises");
  const downloaded = await readFile((await download.path())!);
  expect(downloaded.subarray(0, 4).toString()).toBe("PAR1");

  const file = await api.get(href!);
  expect(file.status()).toBe(200);
  expect(file.headers()["content-type"]).toContain("parquet");
  const bytes = await file.body();
  expect(bytes.subarray(0, 4).toString()).toBe("PAR1");
  expect(bytes.subarray(bytes.length - 4).toString()).toBe("PAR1");
  // a bad filter is a clear 400
  const bad = await api.get(`/api/v1/projects/${id}/export?format=pairwise&minAgreement=2`);
  expect(bad.status()).toBe(400);

  const annotator = uniqueEmail("export-annotator");
  await arbiterCli("user", "add", "--email", annotator, "--role", "annotator", "--password", "annotate-me-please");
  const theirs = await playwright.request.newContext({
    baseURL: E2E.baseUrl,
    extraHTTPHeaders: { authorization: `Bearer ${await arbiterCli("token", "create", "--email", annotator)}` },
  });
  expect((await theirs.get(`/api/v1/projects/${id}/export?format=raw`)).status()).toBe(403);
  expect((await theirs.get(`/api/v1/projects/${id}/export/preview?format=raw`)).status()).toBe(403);
  await theirs.dispose();
  await api.dispose();
});
