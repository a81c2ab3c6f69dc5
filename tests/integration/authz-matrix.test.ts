// The authorization matrix (issue 18, "Proof"): every route handler, page, layout and server
// action the app has, read from app/ (app-surface.ts), × every kind of caller (authz-fixture.ts)
// → the answer it must get. The rules (authz-rules.ts) say which permission each one checks
// and what a caller that passes gets; the refusals are derived from lib/auth/permissions.ts.
// A new route, page or action without a rule fails here, and so does a rule whose permission
// is not the one the code names.
//
// Handlers, pages and actions are called as Next.js calls them, inside its request scope
// (next-request-scope.ts), so cookies(), headers(), redirect() and forbidden() are Next's own;
// sessions are next-auth JWT cookies and tokens are real API tokens, on the real database.
import { inRequestScope, interruptOf } from "./next-request-scope";
import { readFileSync } from "node:fs";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { can, PERMISSIONS, SESSION_ONLY, type Permission } from "@/lib/auth/permissions";
import { getDb } from "@/lib/db/client";
import { projects } from "@/lib/db/schema";
import { stopSender } from "@/lib/rounds/boss";
import { makeFixture, SITE, type Fixture, type Principal } from "./authz-fixture";
import { ACTION_RULES, PAGE_RULES, ROUTE_RULES, type Call, type Outcome, type PageRule } from "./authz-rules";
import { actionModules, actionPermissions, HTTP_METHODS, pageFiles, requiredPermissionIn, routeFiles } from "./app-surface";

type Handler = ((req: NextRequest, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>) & { permission?: Permission };

const routes = routeFiles();
const pages = pageFiles();
const actions = actionModules();

let fx: Fixture;
let savedUrl: string | undefined;

beforeAll(async () => {
  savedUrl = process.env.NEXTAUTH_URL;
  process.env.NEXTAUTH_URL = SITE;
  fx = await makeFixture();
});

afterAll(async () => {
  await fx?.cleanUp();
  // no project of the matrix may start rounds by itself for a later trainer (the demo project has a threshold)
  if (fx) await getDb().update(projects).set({ roundThreshold: null }).where(eq(projects.createdBy, fx.admin.id));
  await stopSender();
  if (savedUrl === undefined) delete process.env.NEXTAUTH_URL;
  else process.env.NEXTAUTH_URL = savedUrl;
});

function isPermission(p: string): p is Permission {
  return p in PERMISSIONS;
}

describe("every route, page and action has a rule", () => {
  it("route handlers: every exported method of every route file, and no rule without one", async () => {
    const found: string[] = [];
    for (const r of routes) {
      const mod = (await import(/* @vite-ignore */ r.file)) as Record<string, unknown>;
      for (const m of HTTP_METHODS) if (typeof mod[m] === "function") found.push(`${m} ${r.path}`);
    }
    const ruled = Object.keys(ROUTE_RULES);
    expect(found.filter((k) => !ruled.includes(k)), "routes without a rule in authz-rules.ts").toEqual([]);
    expect(ruled.filter((k) => !found.includes(k)), "rules for routes that do not exist").toEqual([]);
  });

  it("route handlers check the permission their rule names (withPermission's), and only public rules check none", async () => {
    for (const r of routes) {
      const mod = (await import(/* @vite-ignore */ r.file)) as Record<string, Handler | undefined>;
      for (const m of HTTP_METHODS) {
        const handler = mod[m];
        if (!handler) continue;
        const rule = ROUTE_RULES[`${m} ${r.path}`]!;
        expect(handler.permission ?? "public", `${m} ${r.path}`).toBe(rule.permission);
      }
    }
    // everything under /api/v1 goes through withPermission
    for (const [key, rule] of Object.entries(ROUTE_RULES)) if (key.includes(" /api/v1/")) expect(rule.permission, key).not.toBe("public");
  });

  it("pages and layouts: every one has a rule naming the permission its source asks for", () => {
    const found = pages.map((p) => `${p.kind} ${p.path}`);
    const ruled = Object.keys(PAGE_RULES);
    expect(found.filter((k) => !ruled.includes(k)), "pages without a rule in authz-rules.ts").toEqual([]);
    expect(ruled.filter((k) => !found.includes(k)), "rules for pages that do not exist").toEqual([]);
    for (const p of pages) {
      const source = readSource(p.file);
      const rule = PAGE_RULES[`${p.kind} ${p.path}`]!;
      expect(requiredPermissionIn(source) ?? "public", `${p.kind} ${p.path}`).toBe(rule.permission);
    }
  });

  it("server actions: every export of every 'use server' module has a rule naming the permission it asks for", async () => {
    expect(actions.inline, "inline 'use server' functions: move them to a 'use server' module so the matrix covers them").toEqual([]);
    const found: string[] = [];
    for (const m of actions.modules) {
      const mod = (await import(/* @vite-ignore */ m.file)) as Record<string, unknown>;
      const declared = actionPermissions(m.source);
      for (const [name, value] of Object.entries(mod)) {
        if (typeof value !== "function") continue;
        const key = `${m.relative}#${name}`;
        found.push(key);
        const rule = ACTION_RULES[key];
        if (rule) expect(declared.get(name) ?? "public", key).toBe(rule.permission);
      }
    }
    const ruled = Object.keys(ACTION_RULES);
    expect(found.filter((k) => !ruled.includes(k)), "server actions without a rule in authz-rules.ts").toEqual([]);
    expect(ruled.filter((k) => !found.includes(k)), "rules for actions that do not exist").toEqual([]);
    for (const rule of Object.values(ACTION_RULES)) if (rule.permission !== "public") expect(isPermission(rule.permission)).toBe(true);
  });
});

function readSource(file: string): string {
  return readFileSync(file, "utf8");
}

// ---- route handlers ------------------------------------------------------------------

/** The status a principal must get from a route: refusals from the permission table, the rule's answer otherwise. */
function expectedStatus(key: string, p: Principal): number {
  const rule = ROUTE_RULES[key]!;
  if (rule.permission === "public") return rule.ok;
  if (p.via === "none" || !p.valid) return 401;
  if (!can(p.user!.role, rule.permission)) return 403;
  if (p.via === "token" && SESSION_ONLY.has(rule.permission)) return 403;
  return p.kind === "outsider" && rule.outsider !== undefined ? rule.outsider : rule.ok;
}

async function callRoute(method: string, path: string, handler: Handler, p: Principal, call: Call): Promise<{ status: number; body: string }> {
  const params = call.params ?? {};
  const url = `${SITE}${path.replace(/\[(\w+)\]/g, (_, name: string) => encodeURIComponent(params[name] ?? ""))}${call.query ? `?${call.query}` : ""}`;
  const headers: Record<string, string> = { ...(await p.headers()) };
  let body: string | undefined;
  if (call.json !== undefined) {
    body = JSON.stringify(call.json);
    headers["content-type"] = "application/json";
  } else if (call.raw) {
    body = call.raw.body;
    headers["content-type"] = call.raw.type;
  }
  if (method !== "GET" && headers.cookie) headers.origin = SITE; // a page of this site, as the browser sends it
  const req = new NextRequest(url, { method, headers, body });
  const res = await inRequestScope(url, headers, "action", () => handler(req, { params: Promise.resolve(params) }));
  // a stream (export, round events) is read only as far as it needs to be
  const text = res.headers.get("content-type")?.startsWith("text/event-stream") ? (await res.body?.cancel(), "") : await res.text();
  return { status: res.status, body: text.slice(0, 300) };
}

describe("route handlers × principals", () => {
  it.each(routes.map((r) => [r.path, r.file] as const))("%s", async (path, file) => {
    const mod = (await import(/* @vite-ignore */ file)) as Record<string, Handler | undefined>;
    const wrong: string[] = [];
    for (const method of HTTP_METHODS) {
      const handler = mod[method];
      if (!handler) continue;
      const key = `${method} ${path}`;
      const rule = ROUTE_RULES[key];
      if (!rule) continue; // reported by the coverage test
      for (const p of fx.principals) {
        const want = expectedStatus(key, p);
        const got = await callRoute(method, path, handler, p, (await rule.request?.(fx, p)) ?? {});
        if (got.status !== want) wrong.push(`${key} as ${p.name}: ${got.status} (want ${want}) ${got.body}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

// ---- pages, layouts and server actions ---------------------------------------------------

/** Pages and actions know only the browser's session: an API token is no one there. */
function signedIn(p: Principal): boolean {
  return p.via === "session" && p.valid;
}

function expectedOutcome(rule: { permission: Permission | "public"; ok?: Outcome; anonymous?: Outcome; outsider?: Outcome; admin?: Outcome }, p: Principal): Outcome {
  if (!signedIn(p)) return rule.permission === "public" ? (rule.anonymous ?? "ok") : "signin";
  if (rule.permission !== "public" && !can(p.user!.role, rule.permission)) return "forbidden";
  if (p.kind === "outsider" && rule.outsider) return rule.outsider;
  if (p.kind === "admin" && rule.admin) return rule.admin;
  return rule.ok ?? "ok";
}

async function outcomeOf(run: () => Promise<unknown>): Promise<Outcome | string> {
  try {
    await run();
    return "ok";
  } catch (err) {
    const interrupt = interruptOf(err);
    if (!interrupt) return `threw ${(err as Error).message}`;
    if ("redirect" in interrupt) return interrupt.redirect.startsWith("/signin?callbackUrl=") ? "signin" : { redirect: interrupt.redirect };
    return interrupt.status === 403 ? "forbidden" : "notFound";
  }
}

function matches(got: Outcome | string, want: Outcome): boolean {
  if (typeof want === "string" || typeof got === "string") return got === want;
  return got.redirect === want.redirect || (want.redirect.endsWith("/") && got.redirect.startsWith(want.redirect));
}

function show(o: Outcome | string): string {
  return typeof o === "string" ? o : `redirect ${o.redirect}`;
}

describe("pages and layouts × principals", () => {
  it.each(pages.map((p) => [`${p.kind} ${p.path}`, p.file] as const))("%s", async (key, file) => {
    const rule: PageRule | undefined = PAGE_RULES[key];
    if (!rule) return; // reported by the coverage test
    if (rule.layout && rule.permission === "public") return; // wraps pages, checks nothing itself
    const { default: Page } = (await import(/* @vite-ignore */ file)) as { default: (props: unknown) => Promise<unknown> | unknown };
    const path = key.slice(key.indexOf(" ") + 1);
    const wrong: string[] = [];
    for (const p of fx.principals) {
      const params = rule.params?.(fx) ?? {};
      const url = `${SITE}${path.replace(/\[(\w+)\]/g, (_, n: string) => params[n] ?? "")}`;
      const props = rule.layout ? { children: null } : { params: Promise.resolve(params), searchParams: Promise.resolve({}) };
      const headers = await p.headers();
      const got = await outcomeOf(() => inRequestScope(url, headers, "render", async () => Page(props)));
      const want = expectedOutcome(rule, p);
      if (!matches(got, want)) wrong.push(`${key} as ${p.name}: ${show(got)} (want ${show(want)})`);
    }
    expect(wrong).toEqual([]);
  });
});

describe("server actions × principals", () => {
  it.each(actions.modules.map((m) => [m.relative, m.file] as const))("%s", async (relative, file) => {
    const mod = (await import(/* @vite-ignore */ file)) as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const wrong: string[] = [];
    for (const [name, action] of Object.entries(mod)) {
      const key = `${relative}#${name}`;
      const rule = ACTION_RULES[key];
      if (typeof action !== "function" || !rule) continue;
      for (const p of fx.principals) {
        const args = await rule.args(fx, p);
        const headers = { ...(await p.headers()), origin: SITE };
        const got = await outcomeOf(() => inRequestScope(`${SITE}/`, headers, "action", () => action(...args)));
        const want = expectedOutcome(rule, p);
        if (!matches(got, want)) wrong.push(`${key} as ${p.name}: ${show(got)} (want ${show(want)})`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
