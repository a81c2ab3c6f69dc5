// Which user an OAuth / OIDC sign-in becomes: linked once by a verified email, matched on
// (provider, subject) afterwards, never auto-linked to an admin.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { userForOAuthIdentity, type OAuthIdentity, type OAuthOutcome } from "@/lib/auth/oauth-link";
import { getDb } from "@/lib/db/client";
import { oauthAccounts, users } from "@/lib/db/schema";
import { createUser, getUserByEmail, setUserDisabled } from "@/lib/users/users";
import { uniqueEmail } from "./helpers";

let subjects = 0;
function identity(email: string | null, extra: Partial<OAuthIdentity> = {}): OAuthIdentity {
  return { provider: "oidc", subject: `sub-${Date.now()}-${subjects++}`, email, emailVerified: true, ...extra };
}

function userId(outcome: OAuthOutcome): string | undefined {
  return "user" in outcome ? outcome.user.id : undefined;
}

async function anAnnotator() {
  return (await createUser({ email: uniqueEmail("sso"), role: "annotator", password: "a long enough password" })).user;
}

describe("OAuth / OIDC sign-in", () => {
  it("links by a verified email once, then matches on the subject whatever email the provider reports", async () => {
    const user = await anAnnotator();
    const id = identity(user.email);
    expect(await userForOAuthIdentity(id)).toMatchObject({ linked: true, user: { id: user.id } });
    expect(await getDb().select().from(oauthAccounts).where(eq(oauthAccounts.userId, user.id))).toHaveLength(1);
    // the provider now reports another (even unverified) address: still the same user
    expect(await userForOAuthIdentity({ ...id, email: "changed@elsewhere.example", emailVerified: false })).toMatchObject({ linked: false, user: { id: user.id } });
    // and another user's address does not move the identity to them
    const other = await anAnnotator();
    expect(userId(await userForOAuthIdentity({ ...id, email: other.email }))).toBe(user.id);
  });

  it("refuses an unverified or missing email, without linking", async () => {
    const user = await anAnnotator();
    expect(await userForOAuthIdentity(identity(user.email, { emailVerified: false }))).toEqual({ refused: "unverified_email" });
    expect(await userForOAuthIdentity(identity(null))).toEqual({ refused: "unverified_email" });
    expect(await getDb().select().from(oauthAccounts).where(eq(oauthAccounts.userId, user.id))).toEqual([]);
  });

  it("never links to an admin by email", async () => {
    const admin = (await createUser({ email: uniqueEmail("sso-admin"), role: "admin", password: "a long enough password" })).user;
    expect(await userForOAuthIdentity(identity(admin.email))).toEqual({ refused: "admin_account" });
    expect(await userForOAuthIdentity(identity(admin.email.toUpperCase(), { provider: "github" }))).toEqual({ refused: "admin_account" });
  });

  it("refuses a second identity of the same provider for a linked user, and disabled users", async () => {
    const user = await anAnnotator();
    expect(userId(await userForOAuthIdentity(identity(user.email)))).toBe(user.id);
    expect(await userForOAuthIdentity(identity(user.email))).toEqual({ refused: "other_identity_linked" });
    expect(userId(await userForOAuthIdentity(identity(user.email, { provider: "github" })))).toBe(user.id);
    const linked = identity((await anAnnotator()).email);
    const linkedUser = userId(await userForOAuthIdentity(linked))!;
    await setUserDisabled(linkedUser, true);
    expect(await userForOAuthIdentity(linked)).toEqual({ refused: "disabled" });
  });

  it("links one of two simultaneous first sign-ins of the same identity, and both sign in as that user", async () => {
    const user = await anAnnotator();
    const id = identity(user.email);
    const outcomes = await Promise.all([userForOAuthIdentity(id), userForOAuthIdentity(id)]);
    expect(outcomes.map(userId)).toEqual([user.id, user.id]);
    expect(await getDb().select().from(oauthAccounts).where(eq(oauthAccounts.userId, user.id))).toHaveLength(1);
  });

  it("creates no account for an unknown email unless OAUTH_SIGNUP_ROLE=annotator (the default is none)", async () => {
    const email = uniqueEmail("stranger");
    expect(await userForOAuthIdentity(identity(email))).toEqual({ refused: "no_account" });
    expect(await getUserByEmail(email)).toBeUndefined();
    expect(await getDb().select().from(users).where(eq(users.email, email))).toEqual([]);
  });
});
