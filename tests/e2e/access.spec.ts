// Taking access away, and the sign-in limit, on the real platform (docs/SECURITY.md,
// "Access"): tokens made, used and revoked on the Account page; sign out everywhere and a
// password change ending other browsers' sessions; the limit keyed on the connection's
// real address (two loopback addresses), whatever X-Forwarded-For a client sends.
import http from "node:http";
import { expect, test, type Browser } from "@playwright/test";
import { arbiterCli, signIn, uniqueEmail } from "./helpers";
import { E2E } from "./settings";

async function anAnnotator(password: string): Promise<string> {
  const email = uniqueEmail("access");
  await arbiterCli("user", "add", "--email", email, "--role", "annotator", "--password", password);
  return email;
}

async function signedInPage(browser: Browser, email: string, password: string) {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, email, password);
  return page;
}

/**
 * A password sign-in through next-auth's own endpoints from a chosen local address
 * (any 127.x.y.z: each reaches the server, which sees them as different clients).
 * Returns the error next-auth reports, or "ok".
 */
async function credentialsSignIn(email: string, password: string, localAddress: string, headers: Record<string, string> = {}): Promise<string> {
  const call = (method: string, path: string, body?: string, cookie?: string) =>
    new Promise<{ status: number; body: string; cookies: string[] }>((resolve, reject) => {
      const req = http.request(
        `${E2E.baseUrl}${path}`,
        {
          method,
          localAddress,
          headers: {
            ...headers,
            origin: E2E.baseUrl,
            ...(cookie ? { cookie } : {}),
            ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}),
          },
        },
        (res) => {
          let text = "";
          res.on("data", (c) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, cookies: (res.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]!) }));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const csrf = await call("GET", "/api/auth/csrf");
  const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
  const form = new URLSearchParams({ csrfToken, email, password, json: "true", callbackUrl: E2E.baseUrl });
  const res = await call("POST", "/api/auth/callback/credentials", form.toString(), csrf.cookies.join("; "));
  const { url } = JSON.parse(res.body) as { url: string };
  return new URL(url).searchParams.get("error") ?? "ok";
}

test("a token made on the Account page works until revoked there; a token cannot make tokens", async ({ browser, playwright }) => {
  const email = await anAnnotator("token-owner-password");
  const page = await signedInPage(browser, email, "token-owner-password");
  await page.getByTestId("signed-in-as").click();
  await expect(page).toHaveURL(/\/account$/);
  await page.getByLabel("Name").fill("my script");
  await page.getByLabel("Expires in (days)").fill("30");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = await page.getByTestId("new-token").inputValue();
  expect(token).toMatch(/^arb_/);

  const api = await playwright.request.newContext({ baseURL: E2E.baseUrl });
  const auth = { authorization: `Bearer ${token}` };
  expect((await api.get("/api/v1/me", { headers: auth })).status()).toBe(200);
  expect((await api.post("/api/v1/tokens", { headers: auth, data: { name: "minted" } })).status()).toBe(403);

  await page.reload();
  const row = page.getByTestId("token-row-my script");
  await expect(row).toContainText("active");
  await row.getByRole("button", { name: "Revoke my script" }).click();
  await expect(row).toContainText("revoked");
  expect((await api.get("/api/v1/me", { headers: auth })).status()).toBe(401);
  await api.dispose();
});

test("sign out everywhere and a password change end the sessions in other browsers", async ({ browser }) => {
  const email = await anAnnotator("first-password-here");
  const here = await signedInPage(browser, email, "first-password-here");
  const there = await signedInPage(browser, email, "first-password-here");

  await here.goto("/account");
  await here.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(here).toHaveURL(/\/signin/);
  await there.goto("/annotate");
  await expect(there).toHaveURL(/\/signin\?callbackUrl=%2Fannotate/);

  const again = await signedInPage(browser, email, "first-password-here");
  const other = await signedInPage(browser, email, "first-password-here");
  await again.goto("/account");
  await again.getByLabel("Current password").fill("first-password-here");
  await again.getByLabel(/New password/).fill("second-password-here");
  await again.getByRole("button", { name: "Change password" }).click();
  await expect(again).toHaveURL(/\/signin/);
  await other.goto("/annotate");
  await expect(other).toHaveURL(/\/signin/);
  await signIn(other, email, "first-password-here", { expectFailure: true });
  await signIn(other, email, "second-password-here");
  await expect(other).toHaveURL(/\/annotate$/);
});

test("the sign-in limit keys on the connection's address: spoofed X-Forwarded-For does not escape it, another address is not locked out", async () => {
  const email = await anAnnotator("limit-owner-password");
  for (let i = 0; i < E2E.maxFailures; i++) {
    expect(await credentialsSignIn(email, `wrong-${i}`, "127.0.0.3", { "x-forwarded-for": `203.0.113.${i}` })).toBe("Wrong email or password.");
  }
  expect(await credentialsSignIn(email, "limit-owner-password", "127.0.0.3", { "x-forwarded-for": "203.0.113.99" })).toMatch(/^Too many failed sign-in attempts/);
  expect(await credentialsSignIn(email, "limit-owner-password", "127.0.0.4")).toBe("ok");
});

test("parallel guesses over HTTP get no more than the limit checked", async () => {
  const email = await anAnnotator("parallel-owner-password");
  const answers = await Promise.all(Array.from({ length: 4 * E2E.maxFailures }, (_, i) => credentialsSignIn(email, `guess-${i}`, "127.0.0.5")));
  expect(answers.filter((a) => a === "Wrong email or password.")).toHaveLength(E2E.maxFailures);
});
