import { gzipSync } from "node:zlib";
import { expect, test } from "@playwright/test";
import { arbiterCli, signInAsAdmin } from "./helpers";
import { E2E } from "./settings";

const hh = (q: string, good: string, bad: string) => JSON.stringify({ chosen: `\n\nHuman: ${q}\n\nAssistant: ${good}`, rejected: `\n\nHuman: ${q}\n\nAssistant: ${bad}` });

test("an admin imports a gzipped HH file with a broken line: the dry run lists it and offers to skip it, with the counts", async ({ page, playwright }) => {
  const token = await arbiterCli("token", "create", "--email", E2E.admin.email);
  const api = await playwright.request.newContext({ baseURL: E2E.baseUrl, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
  const { id } = await (await api.post("/api/v1/projects", { data: { name: "Import e2e", mode: "pairwise" } })).json();
  const lines = [hh("Hi", "Hello!", "Go away."), "{broken", hh("Bye", "Goodbye!", "Whatever."), hh("Thanks", "You're welcome.", "No.")];

  await signInAsAdmin(page);
  await page.goto(`/admin/projects/${id}`);
  await page.getByLabel("Import file").setInputFiles({ name: "test.jsonl.gz", mimeType: "application/gzip", buffer: gzipSync(lines.join("\n")) });
  await expect(page.getByTestId("import-preview")).toContainText("Human: Hi");
  await expect(page.getByTestId("import-detected")).toHaveText("Read as NDJSON (gzip), hh-rlhf records.");
  await expect(page.getByTestId("import-errors")).toContainText("line 2: invalid JSON");
  await expect(page.getByTestId("import-skip-offer")).toHaveText("3 valid records can be imported without the 1 invalid line.");
  await page.getByRole("button", { name: "Import 3 valid, skip 1 invalid" }).click();
  await expect(page.getByTestId("import-done")).toContainText("Imported 3 records → 3 new prompts, 6 responses, 3 comparisons, 3 judgments");
  await expect(page.getByTestId("import-done")).toContainText("skipped 1 invalid line");

  const project = await (await api.get(`/api/v1/projects/${id}`)).json();
  expect(project.progress.comparisons).toBe(3);
});
