// What a stolen session or a leaked API token can do to an account, through the real
// routes and database: a token cannot become a browser session (set a password, invite an
// account), and a password typed into a signed-in page counts against the sign-in limit.
import "./next-request-scope"; // before anything that loads next/
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as changePasswordRoute } from "@/app/api/v1/me/password/route";
import { DELETE as signOutEverywhereRoute } from "@/app/api/v1/me/sessions/route";
import { POST as inviteRoute } from "@/app/api/v1/invites/route";
import { POST as resetPasswordRoute } from "@/app/api/v1/users/[id]/password/route";
import { eq } from "drizzle-orm";
import { createApiToken, userForApiToken } from "@/lib/auth/api-tokens";
import { getDb } from "@/lib/db/client";
import { invites } from "@/lib/db/schema";
import { verifyPassword } from "@/lib/auth/password";
import { SIGN_IN_ERRORS, SignInError, signInWithPassword } from "@/lib/auth/password-sign-in";
import { PEER_ADDRESS_HEADER } from "@/lib/auth/client-address";
import { createUser, getUserById, setUserDisabled } from "@/lib/users/users";
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

const resetPassword = (caller: { cookie: string } | { token: string }, id: string, json: unknown, address = anAddress()) =>
  callRoute(resetPasswordRoute, caller, { method: "POST", path: `/api/v1/users/${id}/password`, params: { id }, json, address });

async function passwordIs(userId: string, password: string): Promise<boolean> {
  return verifyPassword((await getUserById(userId))!.passwordHash!, password);
}

describe("an admin's API token cannot become a browser session", () => {
  it("cannot set a password: its own or another user's (403, nothing changed)", async () => {
    const admin = await aUser("admin");
    const annotator = await aUser();
    const { token } = await createApiToken(admin.id, "script");
    for (const target of [admin, annotator]) {
      const res = await resetPassword({ token }, target.id, { password: "chosen by the token holder" });
      expect(res.status).toBe(403);
      expect(await passwordIs(target.id, PASSWORD)).toBe(true);
    }
  });

  it("cannot invite a new account (403, no invitation made); a browser session can", async () => {
    const admin = await aUser("admin");
    const { token } = await createApiToken(admin.id, "script");
    const email = uniqueEmail("invited-admin");
    const res = await callRoute(inviteRoute, { token }, { method: "POST", path: "/api/v1/invites", json: { email, role: "admin" } });
    expect(res.status).toBe(403);
    expect(await getDb().select().from(invites).where(eq(invites.email, email))).toEqual([]);
    const ok = await callRoute(inviteRoute, { cookie: await sessionCookie(admin) }, { method: "POST", path: "/api/v1/invites", json: { email, role: "annotator" } });
    expect(ok.status).toBe(201);
  });
});

describe("an admin's reset of a password (browser session)", () => {
  it("resets an annotator's with a click: a generated password, returned once", async () => {
    const admin = await aUser("admin");
    const annotator = await aUser();
    const res = await resetPassword({ cookie: await sessionCookie(admin) }, annotator.id, {});
    expect(res.status).toBe(200);
    const { password } = (await res.json()) as { password: string };
    expect(await passwordIs(annotator.id, password)).toBe(true);
  });

  it("resets an admin's (another's or one's own) only with the acting admin's own password, counted as a sign-in", async () => {
    const admin = await aUser("admin");
    const other = await aUser("admin");
    const cookie = await sessionCookie(admin);
    const address = anAddress();
    for (const target of [other, admin]) {
      const res = await resetPassword({ cookie }, target.id, { password: "an admin's new password" }, address);
      expect(res.status).toBe(403);
      expect(await passwordIs(target.id, PASSWORD)).toBe(true);
    }
    for (let i = 1; i < MAX; i++) {
      const res = await resetPassword({ cookie }, other.id, { password: "an admin's new password", currentPassword: `guess ${i}` }, address);
      expect(res.status).toBe(403);
    }
    const ok = await resetPassword({ cookie }, other.id, { password: "an admin's new password", currentPassword: PASSWORD }, address);
    expect(ok.status).toBe(200);
    expect(await passwordIs(other.id, "an admin's new password")).toBe(true);
    // the right password started the pair afresh, as a sign-in does; MAX wrong ones reach the limit, then even the right one is refused
    for (let i = 0; i < MAX; i++) expect((await resetPassword({ cookie }, other.id, { currentPassword: `again ${i}` }, address)).status).toBe(403);
    const limited = await resetPassword({ cookie }, other.id, { currentPassword: PASSWORD }, address);
    expect(limited.status).toBe(429);
  });
});

describe("API tokens end with the account's sessions", () => {
  it("sign out everywhere revokes the caller's tokens (an admin's for a user too); a password change keeps them", async () => {
    const user = await aUser();
    const kept = await createApiToken(user.id, "before the change");
    const changed = await changePassword({ cookie: await sessionCookie(user) }, { currentPassword: PASSWORD, newPassword: "the second password" }, anAddress());
    expect(changed.status).toBe(204);
    expect((await userForApiToken(kept.token))?.id).toBe(user.id);
    const out = await callRoute(signOutEverywhereRoute, { cookie: await sessionCookie(user) }, { method: "DELETE", path: "/api/v1/me/sessions" });
    expect(out.status).toBe(204);
    expect(await userForApiToken(kept.token)).toBeUndefined();

    const { DELETE: endUserSessions } = await import("@/app/api/v1/users/[id]/sessions/route");
    const admin = await aUser("admin");
    const theirs = await createApiToken(user.id, "after");
    const res = await callRoute(endUserSessions, { cookie: await sessionCookie(admin) }, { method: "DELETE", path: `/api/v1/users/${user.id}/sessions`, params: { id: user.id } });
    expect(res.status).toBe(204);
    expect(await userForApiToken(theirs.token)).toBeUndefined();
  });

  it("an admin's reset revokes the user's tokens", async () => {
    const admin = await aUser("admin");
    const user = await aUser();
    const { token } = await createApiToken(user.id, "script");
    expect((await resetPassword({ cookie: await sessionCookie(admin) }, user.id, {})).status).toBe(200);
    expect(await userForApiToken(token)).toBeUndefined();
  });

  it("re-enabling a user does not bring back the tokens made before the disable", async () => {
    const user = await aUser();
    const { token } = await createApiToken(user.id, "script");
    await setUserDisabled(user.id, true);
    await setUserDisabled(user.id, false);
    expect(await userForApiToken(token)).toBeUndefined();
    const fresh = await createApiToken(user.id, "made after");
    expect((await userForApiToken(fresh.token))?.id).toBe(user.id);
  });
});
