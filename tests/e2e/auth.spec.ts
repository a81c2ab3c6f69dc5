import { expect, test } from "@playwright/test";
import { arbiterCli, signIn, signInAsAdmin, uniqueEmail } from "./helpers";
import { E2E } from "./settings";

test("an admin invites an annotator, who joins and is kept out of admin pages and API", async ({ browser }) => {
  const adminPage = await (await browser.newContext()).newPage();
  await signInAsAdmin(adminPage);
  await adminPage.goto("/admin/users");
  const email = uniqueEmail("annotator");
  await adminPage.getByLabel("Email").fill(email);
  await adminPage.getByRole("button", { name: "Create invitation link" }).click();
  const link = await adminPage.getByTestId("invite-url").inputValue();
  expect(link).toMatch(new RegExp(`^${E2E.baseUrl}/invite/inv_`));

  const page = await (await browser.newContext()).newPage();
  await page.goto(link);
  await expect(page.getByText(`You were invited as annotator with ${email}`)).toBeVisible();
  await page.getByLabel("Name").fill("Ann Otator");
  await page.getByLabel(/Password/).fill("annotator-password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/signin\?joined=1/);

  await signIn(page, email, "annotator-password");
  await expect(page).toHaveURL(/\/annotate$/);
  await expect(page.getByTestId("signed-in-as")).toHaveText(`${email} · annotator`);
  await expect(page.getByRole("link", { name: "Admin" })).toHaveCount(0);

  // Admin pages answer 403 from the server, with no admin content in the response.
  for (const path of ["/admin", "/admin/users"]) {
    const res = await page.goto(path);
    expect(res?.status()).toBe(403);
    await expect(page.getByRole("heading", { name: /403/ })).toBeVisible();
    expect(await res!.text()).not.toContain(E2E.admin.email);
  }
  expect((await page.request.get("/api/v1/users")).status()).toBe(403);
  expect((await page.request.post("/api/v1/invites", { data: { email: uniqueEmail("x") } })).status()).toBe(403);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  expect((await page.request.get("/api/v1/me")).status()).toBe(401);
  await page.goto("/annotate");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Fannotate/);

  // The link was for one use only.
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Invitation not valid" })).toBeVisible();
});

test("a wrong password gets a clear message, and repeated failures are rate limited", async ({ page }) => {
  const email = uniqueEmail("victim");
  await arbiterCli("user", "add", "--email", email, "--role", "annotator", "--password", "the-right-one");
  for (let i = 0; i < E2E.maxFailures; i++) {
    await signIn(page, email, `wrong-${i}`, { expectFailure: true });
    await expect(page.getByTestId("form-error")).toHaveText("Wrong email or password.");
  }
  // Now even the right password is refused until the window passes.
  await signIn(page, email, "the-right-one", { expectFailure: true });
  await expect(page.getByTestId("form-error")).toHaveText(/Too many failed sign-in attempts\. Try again in \d+ minutes\./);
  await expect(page).toHaveURL(/\/signin/);
});

test("API tokens: none gets 401, an admin's reaches admin routes, an annotator's gets 403", async ({ playwright }) => {
  const annotatorEmail = uniqueEmail("scripted");
  await arbiterCli("user", "add", "--email", annotatorEmail, "--role", "annotator");
  const adminToken = await arbiterCli("token", "create", "--email", E2E.admin.email);
  const annotatorToken = await arbiterCli("token", "create", "--email", annotatorEmail);

  const anon = await playwright.request.newContext({ baseURL: E2E.baseUrl });
  const none = await anon.get("/api/v1/users");
  expect(none.status()).toBe(401);
  expect(await none.json()).toMatchObject({ error: { code: "unauthorized" } });
  expect((await anon.get("/api/v1/users", { headers: { authorization: "Bearer arb_not-a-real-token" } })).status()).toBe(401);

  const asAdmin = await anon.get("/api/v1/users", { headers: { authorization: `Bearer ${adminToken}` } });
  expect(asAdmin.status()).toBe(200);
  expect((await asAdmin.json()).map((u: { email: string }) => u.email)).toContain(annotatorEmail);

  const asAnnotator = await anon.get("/api/v1/users", { headers: { authorization: `Bearer ${annotatorToken}` } });
  expect(asAnnotator.status()).toBe(403);
  expect(await asAnnotator.json()).toMatchObject({ error: { code: "forbidden" } });
  const me = await anon.get("/api/v1/me", { headers: { authorization: `Bearer ${annotatorToken}` } });
  expect(await me.json()).toMatchObject({ email: annotatorEmail, role: "annotator" });

  const badBody = await anon.post("/api/v1/projects", { headers: { authorization: `Bearer ${adminToken}` }, data: { name: "" } });
  expect(badBody.status()).toBe(400);
  // invites make accounts, so they need a browser session: a leaked token cannot make an admin
  const invite = await anon.post("/api/v1/invites", { headers: { authorization: `Bearer ${adminToken}` }, data: { email: uniqueEmail("invited"), role: "admin" } });
  expect(invite.status()).toBe(403);
  await anon.dispose();
});

test("an admin disables a user, who then cannot sign in or use a token", async ({ page, playwright }) => {
  const email = uniqueEmail("leaver");
  await arbiterCli("user", "add", "--email", email, "--role", "annotator", "--password", "leaver-password");
  const token = await arbiterCli("token", "create", "--email", email);

  await signInAsAdmin(page);
  await page.goto("/admin/users");
  const row = page.getByTestId(`user-row-${email}`);
  await row.getByRole("button", { name: `Disable ${email}` }).click();
  await expect(row.getByText("disabled")).toBeVisible();

  const api = await playwright.request.newContext({ baseURL: E2E.baseUrl });
  expect((await api.get("/api/v1/me", { headers: { authorization: `Bearer ${token}` } })).status()).toBe(401);
  await api.dispose();

  const other = await (await page.context().browser()!.newContext()).newPage();
  // refused like a wrong password: the answer does not tell a guesser the password was right
  await signIn(other, email, "leaver-password", { expectFailure: true });
  await expect(other.getByTestId("form-error")).toHaveText("Wrong email or password.");
  await expect(other).toHaveURL(/\/signin/);
});

test("health reports the database and a trainer heartbeat with its backend", async ({ request }) => {
  await expect
    .poll(async () => (await (await request.get("/api/health")).json()).trainer.alive, { timeout: 60_000 })
    .toBe(true);
  const health = await (await request.get("/api/health")).json();
  expect(health).toMatchObject({ ok: true, db: "ok", version: expect.any(String) });
  expect(health.trainer.backend).toMatch(/wasm|tensorflow|cpu/);
  expect(Date.now() - Date.parse(health.trainer.lastSeen)).toBeLessThan(30_000);
});
