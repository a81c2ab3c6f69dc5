import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApiToken, userForApiToken } from "@/lib/auth/api-tokens";
import { acceptInvite, createInvite, findOpenInvite, InviteError, revokeInvite } from "@/lib/auth/invites";
import { verifyPassword } from "@/lib/auth/password";
import { checkSignInLimit, clearSignInFailures, recordSignInFailure } from "@/lib/auth/sign-in-limit";
import { getDb } from "@/lib/db/client";
import { apiTokens, invites } from "@/lib/db/schema";
import { createUser, getUserByEmail, setUserDisabled } from "@/lib/users/users";
import { uniqueEmail } from "./helpers";

async function anAdmin() {
  return (await createUser({ email: uniqueEmail("admin"), role: "admin", password: "password1" })).user;
}

describe("API tokens", () => {
  it("authenticate as their user and are stored only as a hash", async () => {
    const { user } = await createUser({ email: uniqueEmail(), role: "annotator", password: "password1" });
    const { id, token } = await createApiToken(user.id, "script");
    expect(token).toMatch(/^arb_[\w-]{40,}$/);
    expect((await userForApiToken(token))?.id).toBe(user.id);
    const [row] = await getDb().select().from(apiTokens).where(eq(apiTokens.id, id));
    expect(row!.tokenHash).not.toContain(token.slice(4));
    expect(JSON.stringify(row)).not.toContain(token);
  });

  it("stop working when revoked, when the user is disabled, or when altered", async () => {
    const { user } = await createUser({ email: uniqueEmail(), role: "annotator", password: "password1" });
    const a = await createApiToken(user.id, "a");
    expect(await userForApiToken(a.token + "x")).toBeUndefined();
    expect(await userForApiToken("Bearer " + a.token)).toBeUndefined();
    await getDb().update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, a.id));
    expect(await userForApiToken(a.token)).toBeUndefined();
    const b = await createApiToken(user.id, "b");
    await setUserDisabled(user.id, true);
    expect(await userForApiToken(b.token)).toBeUndefined();
  });
});

describe("invitations", () => {
  it("create the invited user with the invited role, once", async () => {
    const admin = await anAdmin();
    const email = uniqueEmail("invitee");
    const { token } = await createInvite({ email, role: "annotator" }, admin.id);
    expect(await findOpenInvite(token)).toBeDefined();
    const user = await acceptInvite(token, { name: "Ada", password: "a long password" });
    expect(user).toMatchObject({ email, role: "annotator", name: "Ada" });
    expect(await verifyPassword(user.passwordHash!, "a long password")).toBe(true);
    expect(await findOpenInvite(token)).toBeUndefined();
    await expect(acceptInvite(token, { name: "Eve", password: "another password" })).rejects.toThrow(/already been used/);
  });

  it("let exactly one of two simultaneous acceptances through", async () => {
    const admin = await anAdmin();
    const { token } = await createInvite({ email: uniqueEmail("race"), role: "annotator" }, admin.id);
    const results = await Promise.allSettled([
      acceptInvite(token, { name: "One", password: "password-one" }),
      acceptInvite(token, { name: "Two", password: "password-two" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(InviteError);
  });

  it("refuse expired and revoked links and emails that already have an account", async () => {
    const admin = await anAdmin();
    const expired = await createInvite({ email: uniqueEmail(), role: "annotator" }, admin.id);
    await getDb().update(invites).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(invites.id, expired.invite.id));
    await expect(acceptInvite(expired.token, { name: "X", password: "password1" })).rejects.toThrow(/expired/);

    const revoked = await createInvite({ email: uniqueEmail(), role: "annotator" }, admin.id);
    await revokeInvite(revoked.invite.id);
    await expect(acceptInvite(revoked.token, { name: "X", password: "password1" })).rejects.toThrow(/not valid/);

    await expect(createInvite({ email: admin.email, role: "annotator" }, admin.id)).rejects.toThrow(/already has an account/);
    expect(await getUserByEmail(expired.invite.email)).toBeUndefined();
  });

  it("validate the new account's fields and write nothing when they are bad", async () => {
    const admin = await anAdmin();
    const { token } = await createInvite({ email: uniqueEmail(), role: "annotator" }, admin.id);
    await expect(acceptInvite(token, { name: "", password: "password1" })).rejects.toThrow(/name/);
    await expect(acceptInvite(token, { name: "Bo", password: "short" })).rejects.toThrow(/at least 8/);
    expect(await findOpenInvite(token)).toBeDefined();
  });
});

describe("sign-in rate limit", () => {
  it("limits an email after the configured failures and resets on success", async () => {
    const email = uniqueEmail("victim");
    for (let i = 0; i < 5; i++) {
      expect((await checkSignInLimit(email, "10.0.0.1")).limited).toBe(false);
      await recordSignInFailure(email, "10.0.0.1");
    }
    expect(await checkSignInLimit(email, "10.0.0.2")).toEqual({ limited: true, retryAfterMinutes: 15 });
    await clearSignInFailures(email);
    expect((await checkSignInLimit(email, "10.0.0.2")).limited).toBe(false);
  });

  it("limits an address that fails across many emails", async () => {
    const ip = `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    for (let i = 0; i < 20; i++) await recordSignInFailure(uniqueEmail("spray"), ip);
    expect((await checkSignInLimit(uniqueEmail("fresh"), ip)).limited).toBe(true);
    expect((await checkSignInLimit(uniqueEmail("fresh"), "10.8.0.1")).limited).toBe(false);
  });
});
