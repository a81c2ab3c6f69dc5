// Calling a route handler as a signed-in browser or a script would: a next-auth session
// cookie made by next-auth's own callbacks (as at sign-in) or an API token, run inside
// Next.js's request scope (next-request-scope.ts) so that getServerSession reads the cookie.
import "./next-request-scope";
import type { Account } from "next-auth";
import { encode, type JWT } from "next-auth/jwt";
import { NextRequest } from "next/server";
import { authOptions } from "@/lib/auth/options";
import { PEER_ADDRESS_HEADER } from "@/lib/auth/client-address";
import type { User } from "@/lib/db/schema";
import { getUserById } from "@/lib/users/users";
import { inRequestScope } from "./next-request-scope";

export const SITE = "http://arbiter.test:3000";

/** The cookie a browser holds after signing in as the user (as they are now in the database). */
export async function sessionCookie(user: User): Promise<string> {
  process.env.NEXTAUTH_SECRET ??= "browser-session-test-secret";
  const now = (await getUserById(user.id))!;
  const signedIn = { id: now.id, email: now.email, name: now.name, arbiter: { userId: now.id, sessionVersion: now.sessionVersion } };
  const account = { provider: "credentials", type: "credentials", providerAccountId: now.id } as Account;
  const token = (await authOptions().callbacks!.jwt!({ token: { sub: now.id, email: now.email }, user: signedIn, account, trigger: "signIn" })) as JWT;
  return `next-auth.session-token=${await encode({ token, secret: process.env.NEXTAUTH_SECRET! })}`;
}

type Handler<P> = (req: NextRequest, ctx: { params: Promise<P> }) => Promise<Response>;

export type Caller = { cookie: string } | { token: string };

/**
 * Sends `method path` to the handler as the caller, from `address` (the stamp npm start's
 * preload writes), with a JSON body when given; a browser's change carries the site's Origin.
 */
export async function callRoute<P extends Record<string, string>>(
  handler: Handler<P>,
  caller: Caller,
  init: { method?: string; path: string; params?: P; json?: unknown; address?: string; headers?: Record<string, string> },
): Promise<Response> {
  const method = init.method ?? "GET";
  const headers: Record<string, string> = { [PEER_ADDRESS_HEADER]: init.address ?? "192.0.2.1", ...init.headers };
  if ("cookie" in caller) {
    headers.cookie = caller.cookie;
    if (method !== "GET") headers.origin ??= SITE; // a page of this site, unless the test says otherwise
  } else headers.authorization = `Bearer ${caller.token}`;
  if (init.json !== undefined) headers["content-type"] = "application/json";
  const url = `${SITE}${init.path}`;
  const req = new NextRequest(url, { method, headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) });
  return inRequestScope(url, headers, "action", () => handler(req, { params: Promise.resolve((init.params ?? {}) as P) }));
}
