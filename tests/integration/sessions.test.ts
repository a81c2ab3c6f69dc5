// Browser sessions end when they should: the JWT that next-auth's callbacks make at sign-in
// carries the user's session version, and every server check (userForSession, behind
// getSessionUser) compares it with the database. A cookie's round trip is encode/decode.
import type { Account, Session } from "next-auth";
import { decode, encode, type JWT } from "next-auth/jwt";
import { describe, expect, it } from "vitest";
import { userForSession } from "@/lib/auth/current-user";
import { authOptions, type SessionClaims } from "@/lib/auth/options";
import { PEER_ADDRESS_HEADER } from "@/lib/auth/client-address";
import { signInWithPassword } from "@/lib/auth/password-sign-in";
import { verifyPassword } from "@/lib/auth/password";
import { changeOwnPassword, PasswordChangeError, resetPassword } from "@/lib/users/passwords";
import { endSessions } from "@/lib/users/sessions";
import { createUser, getUserById, setUserDisabled } from "@/lib/users/users";
import { uniqueEmail } from "./helpers";

process.env.NEXTAUTH_SECRET ??= "sessions-test-secret";
const PASSWORD = "the first password";

/** Signs in with the password as the credentials provider does, and returns the session claims the cookie would give. */
async function signIn(email: string, password: string): Promise<SessionClaims> {
  const options = authOptions();
  const user = await signInWithPassword({ email, password }, { [PEER_ADDRESS_HEADER]: "192.0.2.10" });
  const account = { provider: "credentials", type: "credentials", providerAccountId: user.id } as Account;
  const signedIn = { id: user.id, email: user.email, name: user.name, arbiter: { userId: user.id, sessionVersion: user.sessionVersion } };
  const token = (await options.callbacks!.jwt!({ token: { sub: user.id }, user: signedIn, account, trigger: "signIn" })) as JWT;
  const cookie = await encode({ token, secret: process.env.NEXTAUTH_SECRET! });
  const decoded = (await decode({ token: cookie, secret: process.env.NEXTAUTH_SECRET! }))!;
  const later = (await options.callbacks!.jwt!({ token: decoded, user: undefined as never, account: null })) as JWT;
  return (await options.callbacks!.session!({ session: { expires: "" } as Session, token: later, user: undefined as never, newSession: undefined, trigger: "update" })) as SessionClaims;
}

async function aUser() {
  return (await createUser({ email: uniqueEmail("session"), role: "annotator", password: PASSWORD })).user;
}

describe("sessions", () => {
  it("carry the session version; sign out everywhere ends them, a new sign-in works", async () => {
    const user = await aUser();
    const claims = await signIn(user.email, PASSWORD);
    expect(claims).toMatchObject({ userId: user.id, sessionVersion: 0 });
    expect((await userForSession(claims))?.id).toBe(user.id);
    expect(await endSessions(user.id)).toBe(true);
    expect(await userForSession(claims)).toBeUndefined();
    expect((await userForSession(await signIn(user.email, PASSWORD)))?.id).toBe(user.id);
    // a session from before session versions existed has none: signed out
    expect(await userForSession({ userId: user.id })).toBeUndefined();
  });

  it("end when the user changes their password, which needs the current one", async () => {
    const user = await aUser();
    const claims = await signIn(user.email, PASSWORD);
    await expect(changeOwnPassword(user.id, { currentPassword: "not it at all", newPassword: "a second password" }, "192.0.2.10")).rejects.toBeInstanceOf(PasswordChangeError);
    await expect(changeOwnPassword(user.id, { currentPassword: PASSWORD, newPassword: "short" }, "192.0.2.10")).rejects.toThrow(/at least 12/);
    expect((await userForSession(claims))?.id).toBe(user.id);
    await changeOwnPassword(user.id, { currentPassword: PASSWORD, newPassword: "a second password" }, "192.0.2.10");
    expect(await userForSession(claims)).toBeUndefined();
    expect(await verifyPassword((await getUserById(user.id))!.passwordHash!, "a second password")).toBe(true);
    expect((await userForSession(await signIn(user.email, "a second password")))?.id).toBe(user.id);
  });

  it("end when an admin resets the password (generated and returned once) or disables the user", async () => {
    const user = await aUser();
    const claims = await signIn(user.email, PASSWORD);
    const { generatedPassword } = await resetPassword(user.id);
    expect(generatedPassword).toMatch(/^[\w-]{16,}$/);
    expect(await userForSession(claims)).toBeUndefined();
    const again = await signIn(user.email, generatedPassword!);
    await setUserDisabled(user.id, true);
    await setUserDisabled(user.id, false);
    expect(await userForSession(again)).toBeUndefined(); // re-enabling does not revive old sessions
  });
});
