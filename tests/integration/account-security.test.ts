// What a stolen session or a leaked API token can do to an account, through the real
// routes and database: a token cannot become a browser session (set a password, invite an
// account), and a password typed into a signed-in page counts against the sign-in limit.
import "./next-request-scope"; // before anything that loads next/
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as changePasswordRoute } from "@/app/api/v1/me/password/route";
import { DELETE as signOutEverywhereRoute } from "@/app/api/v1/me/sessions/route";
import { createApiToken } from "@/lib/auth/api-tokens";
import { verifyPassword } from "@/lib/auth/password";
import { SIGN_IN_ERRORS, SignInError, signInWithPassword } from "@/lib/auth/password-sign-in";
import { PEER_ADDRESS_HEADER } from "@/lib/auth/client-address";
import { createUser, getUserById } from "@/lib/users/users";
import { callRoute, sessionCookie, SITE } from "./browser-session";
import { uniqueEmail } from "./helpers";

const PASSWORD = "the account's password";
const MAX = 5; // SIGNIN_MAX_FAILURES's default

let savedUrl: string | undefined;
beforeAll(() => {
  savedUrl = process.env.NEXTAUTH_URL;
  process.env.NEXTAUTH_URL = SITE;
});
afterAll(() => {
  if (savedUrl === undefined) delete process.env.NEXTAUTH_URL;
  else process.env.NEXTAUTH_URL = savedUrl;
});

let octet = 0;
function anAddress(): string {
  octet++;
  return `203.0.${100 + Math.floor(Math.random() * 100)}.${octet % 250}`;
}

async function aUser(role: "admin" | "annotator" = "annotator") {
  return (await createUser({ email: uniqueEmail(`acct-${role}`), role, password: PASSWORD })).user;
}

async function signIn(email: string, password: string, address: string): Promise<string> {
  try {
    await signInWithPassword({ email, password }, { [PEER_ADDRESS_HEADER]: address });
    return "ok";
  } catch (err) {
    if (err instanceof SignInError) return err.message;
    throw err;
  }
}

const changePassword = (caller: { cookie: string } | { token: string }, json: unknown, address: string) =>
  callRoute(changePasswordRoute, caller, { method: "POST", path: "/api/v1/me/password", json, address });

describe("own password change", () => {
  it(`counts wrong current passwords as failed sign-ins: after ${MAX}, even the right one is 429 with Retry-After, and so is signing in from there`, async () => {
    const user = await aUser();
    const address = anAddress();
    const cookie = await sessionCookie(user);
    for (let i = 0; i < MAX; i++) {
      const res = await changePassword({ cookie }, { currentPassword: `guess number ${i}`, newPassword: "a brand new password" }, address);
      expect(res.status).toBe(400);
    }
    const limited = await changePassword({ cookie }, { currentPassword: PASSWORD, newPassword: "a brand new password" }, address);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(60);
    expect(await verifyPassword((await getUserById(user.id))!.passwordHash!, PASSWORD)).toBe(true); // unchanged
    expect(await signIn(user.email, PASSWORD, address)).toMatch(/^Too many failed sign-in attempts/);
    // the owner elsewhere is not locked out
    const elsewhere = await changePassword({ cookie }, { currentPassword: PASSWORD, newPassword: "a brand new password" }, anAddress());
    expect(elsewhere.status).toBe(204);
  });

  it("is refused to an API token (403), as is sign out everywhere", async () => {
    const user = await aUser();
    const { token } = await createApiToken(user.id, "script");
    const res = await changePassword({ token }, { currentPassword: PASSWORD, newPassword: "a token's own password" }, anAddress());
    expect(res.status).toBe(403);
    expect(await verifyPassword((await getUserById(user.id))!.passwordHash!, PASSWORD)).toBe(true);
    const out = await callRoute(signOutEverywhereRoute, { token }, { method: "DELETE", path: "/api/v1/me/sessions" });
    expect(out.status).toBe(403);
    expect((await getUserById(user.id))!.sessionVersion).toBe(user.sessionVersion);
  });
});
