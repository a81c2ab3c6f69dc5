// Requests and headers as a browser meets them (docs/SECURITY.md): cross-site requests
// refused, security headers on every answer, pages that still hydrate under their
// Content-Security-Policy, callbackUrl kept on the site, and hostile text in prompts and
// responses shown as text without a single request to another origin.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type Page } from "@playwright/test";
import { arbiterCli, signInAsAdmin } from "./helpers";
import { E2E } from "./settings";

/** Another origin on the same site (127.0.0.1, another port): the browser sends our SameSite=Lax session cookie along. */
async function attackerSite(html: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

async function adminToken(): Promise<string> {
  return arbiterCli("token", "create", "--email", E2E.admin.email);
}

async function projectNames(page: Page): Promise<string[]> {
  const res = await page.request.get("/api/v1/projects");
  return ((await res.json()) as { name: string }[]).map((p) => p.name);
}

/** Collects Content-Security-Policy violations the page reports to its console. */
function cspViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on("console", (msg) => {
    if (/Content Security Policy/i.test(msg.text())) seen.push(msg.text());
  });
  return seen;
}

test("pages and API answers carry the security headers", async ({ page }) => {
  const signin = await page.goto("/signin");
  const h = signin!.headers();
  expect(h["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(h["content-security-policy"]).toContain("img-src 'self' data:");
  expect(h["content-security-policy"]).toContain("connect-src 'self'");
  expect(h["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(h["x-frame-options"]).toBe("DENY");
  expect(h["x-content-type-options"]).toBe("nosniff");
  expect(h["referrer-policy"]).toBe("same-origin");
  // a fresh nonce for every page
  const again = (await page.goto("/signin"))!.headers()["content-security-policy"];
  expect(again).not.toBe(h["content-security-policy"]);

  for (const path of ["/api/health", "/api/v1/me"]) {
    const api = (await page.request.get(path)).headers();
    expect(api["content-security-policy"], path).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(api["x-frame-options"], path).toBe("DENY");
    expect(api["x-content-type-options"], path).toBe("nosniff");
  }
});

test("pages hydrate under their policy: sign-in, admin pages, no violations", async ({ page }) => {
  const violations = cspViolations(page);
  await signInAsAdmin(page); // the form submits through JavaScript: hydration worked
  for (const path of ["/admin", "/admin/projects", "/admin/users"]) {
    await page.goto(path);
    await expect(page.getByTestId("signed-in-as")).toBeVisible();
  }
  await page.getByRole("link", { name: "Projects" }).click(); // client-side navigation
  await expect(page).toHaveURL(/\/admin\/projects$/);
  expect(violations).toEqual([]);
});

test("a foreign-origin form POST with the session cookie is refused", async ({ page }) => {
  await signInAsAdmin(page);
  const name = `csrf-${Date.now()}`;
  // enctype=text/plain makes the body `{"name":"…","x":"="}`: JSON that the API read before
  const { url, server } = await attackerSite(`<!doctype html>
    <form id="f" method="POST" action="${E2E.baseUrl}/api/v1/projects" enctype="text/plain">
      <input name='{"name":"${name}","x":"' value='"}'>
    </form>
    <form id="g" method="POST" action="${E2E.baseUrl}/admin/projects" enctype="multipart/form-data">
      <input name="name" value="${name}-action">
    </form>
    <script>document.getElementById(location.hash === "#action" ? "g" : "f").submit()</script>`);
  try {
    const api = page.waitForResponse((r) => r.url() === `${E2E.baseUrl}/api/v1/projects` && r.request().method() === "POST");
    await page.goto(url);
    const refused = await api;
    expect(refused.status()).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: "forbidden" } });

    // the same against a page, where server actions are posted
    const action = page.waitForResponse((r) => r.url() === `${E2E.baseUrl}/admin/projects` && r.request().method() === "POST");
    await page.goto(`${url}#action`);
    expect((await action).status()).toBe(403);
  } finally {
    server.close();
  }
  await page.goto("/admin");
  expect(await projectNames(page)).not.toContain(name);
  expect(await projectNames(page)).not.toContain(`${name}-action`);
});

test("the app's own requests pass; text/plain, no Origin and oversized bodies do not", async ({ page }) => {
  await signInAsAdmin(page);
  const post = (body: string, headers: Record<string, string>) =>
    page.evaluate(
      async ({ body, headers }) => {
        const res = await fetch("/api/v1/projects", { method: "POST", headers, body });
        return { status: res.status, body: await res.json() };
      },
      { body, headers },
    );
  const name = `same-origin-${Date.now()}`;
  expect((await post(JSON.stringify({ name: `${name}-plain` }), { "content-type": "text/plain" })).status).toBe(415);
  const big = await post(JSON.stringify({ name: `${name}-big`, instructions: "x".repeat(8 * 1024 * 1024) }), { "content-type": "application/json" });
  expect(big.status).toBe(413);
  expect(big.body).toMatchObject({ error: { code: "too_large" } });
  expect((await post(JSON.stringify({ name }), { "content-type": "application/json" })).status).toBe(201);
  // a client that sends no Origin (not a browser page) gets no pass with the cookie alone
  const bare = await page.request.post("/api/v1/projects", { data: { name: `${name}-bare` } });
  expect(bare.status()).toBe(403);
  const names = await projectNames(page);
  expect(names).toContain(name);
  expect(names.filter((n) => n.startsWith(`${name}-`))).toEqual([]);
});

test("callbackUrl keeps a signed-in user on the site", async ({ page }) => {
  await signInAsAdmin(page);
  for (const raw of ["/%5Cevil.example", "/%09/evil.example", "//evil.example", "https://evil.example", "/%255Cevil.example"]) {
    await page.goto(`/signin?callbackUrl=${raw}`);
    await expect(page, raw).toHaveURL(`${E2E.baseUrl}/admin`);
  }
  await page.goto(`/signin?callbackUrl=${encodeURIComponent("/admin/users")}`);
  await expect(page).toHaveURL(`${E2E.baseUrl}/admin/users`);
});

const XSS = [
  "<script>window.__xss = 'script'</script>",
  "<img src=x onerror=\"window.__xss = 'img'\">",
  "<svg onload=\"window.__xss = 'svg'\"></svg>",
  "<iframe src=\"http://evil.example/frame\"></iframe>",
  "![tracker](http://evil.example/pixel.png)",
  "![lease](/api/v1/projects/00000000-0000-4000-8000-000000000000/tasks/next)",
  "![relative-looking](//evil.example/pixel.png)",
  "[click me](javascript:window.__xss='link')",
  "<a href=\"javascript:window.__xss='a'\">a</a>",
  "<style>@import url(http://evil.example/x.css);</style>",
  "<link rel=\"stylesheet\" href=\"http://evil.example/y.css\">",
  "<meta http-equiv=\"refresh\" content=\"0;url=http://evil.example/\">",
];

test("an XSS corpus in prompts and responses renders as text, with no request to another origin", async ({ browser, playwright }) => {
  const api = await playwright.request.newContext({ baseURL: E2E.baseUrl, extraHTTPHeaders: { authorization: `Bearer ${await adminToken()}` } });
  const created = await api.post("/api/v1/projects", { data: { name: `xss-${Date.now()}`, mode: "pairwise", redundancy: 1 } });
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const records = XSS.map((payload, i) => ({
    prompt: `Case ${i}: ${payload}`,
    responses: [{ text: `First ${i}: ${payload}`, source: "a" }, { text: `Second answer ${i}, plain`, source: "b" }],
  }));
  const imported = await api.post(`/api/v1/projects/${id}/import`, { headers: { "content-type": "application/x-ndjson" }, data: records.map((r) => JSON.stringify(r)).join("\n") });
  expect(imported.status(), await imported.text()).toBe(201);
  expect((await api.post(`/api/v1/projects/${id}/members`, { data: { emails: [E2E.admin.email] } })).status()).toBe(200);

  const context = await browser.newContext();
  const foreign: string[] = [];
  await context.route((url) => url.origin !== E2E.baseUrl, async (route) => {
    foreign.push(route.request().url());
    await route.abort();
  });
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  await signInAsAdmin(page);
  await page.goto(`/annotate/${id}`);
  for (let i = 0; i < XSS.length; i++) {
    const task = page.getByTestId("task");
    await expect(task).toBeVisible();
    const text = await task.innerText();
    const n = Number(/Case (\d+):/.exec(text)?.[1]);
    const payload = XSS[n];
    expect(payload, text).toBeDefined();
    // a markdown image that is not inline data shows as its alt text and is never requested
    if (payload!.startsWith("![tracker]")) {
      await expect(task.locator("img")).toHaveCount(0);
      await expect(task.getByText("[image: tracker]")).toHaveCount(2);
    }
    // raw HTML shows as the characters it is, in the prompt and in the response
    if (payload!.startsWith("<")) {
      expect(text).toContain(`Case ${n}: ${payload}`);
      expect(text).toContain(`First ${n}: ${payload}`);
    }
    await page.getByRole("radio", { name: /A better$/ }).click();
    await page.getByRole("button", { name: /Submit/ }).click();
    await expect(page.getByTestId("session-count")).toContainText(`${i + 1} judged this session`);
  }
  await expect(page.getByTestId("all-done")).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss)).toBeUndefined();
  expect(dialogs).toEqual([]);
  expect(foreign).toEqual([]);
});
