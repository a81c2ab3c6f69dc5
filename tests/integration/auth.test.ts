import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApiToken, userForApiToken } from "@/lib/auth/api-tokens";
import { acceptInvite, createInvite, findOpenInvite, InviteError, listPendingInvites, revokeInvite } from "@/lib/auth/invites";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { getDb } from "@/lib/db/client";
import { apiTokens, invites, users } from "@/lib/db/schema";
import { createUser, getUserByEmail, setUserDisabled } from "@/lib/users/users";
import { uniqueEmail } from "./helpers";

async function anAdmin() {
  return (await createUser({ email: uniqueEmail("admin"), role: "admin", password: "password-long-1" })).user;
}

describe("API tokens", () => {
  it("authenticate as their user and are stored only as a hash", async () => {
    const { user } = await createUser({ email: uniqueEmail(), role: "annotator", password: "password-long-1" });
    const { id, token } = await createApiToken(user.id, "script");
    expect(token).toMatch(/^arb_[\w-]{40,}$/);
    expect((await userForApiToken(token))?.id).toBe(user.id);
    const [row] = await getDb().select().from(apiTokens).where(eq(apiTokens.id, id));
    expect(row!.tokenHash).not.toContain(token.slice(4));
    expect(JSON.stringify(row)).not.toContain(token);
  });

  it("stop working when revoked, when the user is disabled, or when altered", async () => {
    const { user } = await createUser({ email: uniqueEmail(), role: "annotator", password: "password-long-1" });
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
    await expect(acceptInvite(expired.token, { name: "X", password: "password-long-1" })).rejects.toThrow(/expired/);

    const revoked = await createInvite({ email: uniqueEmail(), role: "annotator" }, admin.id);
    await revokeInvite(revoked.invite.id);
    await expect(acceptInvite(revoked.token, { name: "X", password: "password-long-1" })).rejects.toThrow(/not valid/);

    await expect(createInvite({ email: admin.email, role: "annotator" }, admin.id)).rejects.toThrow(/already has an account/);
    expect(await getUserByEmail(expired.invite.email)).toBeUndefined();
  });

  it("validate the new account's fields and write nothing when they are bad", async () => {
    const admin = await anAdmin();
    const { token } = await createInvite({ email: uniqueEmail(), role: "annotator" }, admin.id);
    await expect(acceptInvite(token, { name: "", password: "password-long-1" })).rejects.toThrow(/name/);
    await expect(acceptInvite(token, { name: "Bo", password: "elevenchars" })).rejects.toThrow(/at least 12/);
    expect(await findOpenInvite(token)).toBeDefined();
  });
});

describe("invitations and their maker", () => {
  it("stop working when the admin who made them is disabled or demoted", async () => {
    const admin = await anAdmin();
    const { token } = await createInvite({ email: uniqueEmail("orphan"), role: "admin" }, admin.id);
    await setUserDisabled(admin.id, true);
    expect(await findOpenInvite(token)).toBeUndefined();
    expect((await listPendingInvites()).map((i) => i.createdBy)).not.toContain(admin.id);
    await expect(acceptInvite(token, { name: "Mallory", password: "a long enough password" })).rejects.toThrow(/not valid/);
    await setUserDisabled(admin.id, false);
    await getDb().update(users).set({ role: "annotator" }).where(eq(users.id, admin.id));
    expect(await findOpenInvite(token)).toBeUndefined();
  });

  it("check and lock the link before hashing the password: a bad link costs no argon2 work", async () => {
    const started = performance.now();
    await hashPassword("one hash, for scale");
    const oneHash = performance.now() - started;
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await expect(acceptInvite(`inv_not-a-link-${i}`, { name: "Eve", password: "a long enough password" })).rejects.toThrow(/not valid/);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    expect(times[2]!).toBeLessThan(oneHash / 2);
  });
});
