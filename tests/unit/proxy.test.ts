// The proxy before every page (proxy.ts): which requests it runs for (Next's own matcher
// code), and the Origin check for a signed-in browser's POST to a page (a server action).
import { unstable_doesMiddlewareMatch } from "next/experimental/testing/server";
import { NextRequest } from "next/server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { config, proxy } from "@/proxy";

const SITE = "https://arbiter.example";

describe("proxy", () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.NEXTAUTH_URL;
    process.env.NEXTAUTH_URL = SITE;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.NEXTAUTH_URL;
    else process.env.NEXTAUTH_URL = saved;
  });

  it("runs for pages whatever prefetch headers a client sends, not for the API or static files", () => {
    const matches = (path: string, headers: Record<string, string> = {}) => unstable_doesMiddlewareMatch({ config, url: `${SITE}${path}`, headers });
    expect(matches("/account")).toBe(true);
    expect(matches("/account", { "next-router-prefetch": "1" })).toBe(true);
    expect(matches("/admin/users", { purpose: "prefetch" })).toBe(true);
    expect(matches("/api/v1/me")).toBe(false);
    expect(matches("/_next/static/chunks/app.js")).toBe(false);
  });

  it("refuses a cookie POST from another origin even with an Authorization header (pages know no tokens)", async () => {
    for (const authorization of ["Bearer arb_anything", "", "Basic eDp5"]) {
      const req = new NextRequest(`${SITE}/account`, { method: "POST", headers: { cookie: "next-auth.session-token=x", origin: "https://evil.example", authorization, "next-action": "abc" } });
      expect(proxy(req).status, JSON.stringify(authorization)).toBe(403);
    }
    const ours = new NextRequest(`${SITE}/account`, { method: "POST", headers: { cookie: "next-auth.session-token=x", origin: SITE, "next-action": "abc" } });
    expect(proxy(ours).status).toBe(200);
    expect(proxy(ours).headers.get("content-security-policy")).toMatch(/script-src [^;]*'nonce-/);
  });
});
