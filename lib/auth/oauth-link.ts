// Which Arbiter user an OAuth / OIDC identity signs in as. An identity is linked to a user
// once, at its first sign-in, and matched on (provider, subject) from then on: the email a
// provider reports later plays no part, so a changed or reassigned address at the provider
// cannot reach another account. The first sign-in links only by an email the provider
// says it verified, never to an admin (an admin signs in with a password), and only one
// identity per provider and user.
import { and, eq } from "drizzle-orm";
import { env } from "@/lib/config/env";
import { getDb } from "@/lib/db/client";
import { oauthAccounts, users, type User } from "@/lib/db/schema";
import { MAX_EMAIL_LENGTH } from "./password";

export type OAuthIdentity = {
  provider: string;
  subject: string; // the provider's stable account id (OIDC `sub`, GitHub's numeric id)
  email: string | null;
  emailVerified: boolean;
  name?: string | null;
};

export type OAuthRefusal = "disabled" | "unverified_email" | "admin_account" | "no_account" | "other_identity_linked";

export type OAuthOutcome = { user: User; linked: boolean } | { refused: OAuthRefusal };

async function linkedUser(provider: string, subject: string): Promise<User | undefined> {
  const [row] = await getDb()
    .select({ user: users })
    .from(oauthAccounts)
    .innerJoin(users, eq(users.id, oauthAccounts.userId))
    .where(and(eq(oauthAccounts.provider, provider), eq(oauthAccounts.providerAccountId, subject)));
  return row?.user;
}

export async function userForOAuthIdentity(identity: OAuthIdentity): Promise<OAuthOutcome> {
  const email = identity.email?.trim().toLowerCase();
  // Twice at most: a second pass sees what a concurrent sign-in with the same identity or email wrote.
  for (let pass = 0; pass < 2; pass++) {
    const known = await linkedUser(identity.provider, identity.subject);
    if (known) return known.disabledAt ? { refused: "disabled" } : { user: known, linked: false };
    if (!email || !identity.emailVerified || email.length > MAX_EMAIL_LENGTH) return { refused: "unverified_email" };
    const outcome = await linkByEmail(identity, email);
    if (outcome !== "raced") return outcome;
  }
  return { refused: "other_identity_linked" };
}

/** The first sign-in of an identity: link it to the user with its verified email (or a new annotator). */
async function linkByEmail(identity: OAuthIdentity, email: string): Promise<OAuthOutcome | "raced"> {
  return getDb().transaction(async (tx) => {
    let [user] = await tx.select().from(users).where(eq(users.email, email)).for("update");
    if (user?.role === "admin") return { refused: "admin_account" };
    if (user?.disabledAt) return { refused: "disabled" };
    if (!user) {
      if (env().OAUTH_SIGNUP_ROLE !== "annotator") return { refused: "no_account" };
      [user] = await tx
        .insert(users)
        .values({ email, role: "annotator", name: identity.name?.slice(0, 200) || null })
        .onConflictDoNothing({ target: users.email })
        .returning();
      if (!user) return "raced"; // created meanwhile by someone else: decide again on that row
    }
    const [other] = await tx
      .select({ subject: oauthAccounts.providerAccountId })
      .from(oauthAccounts)
      .where(and(eq(oauthAccounts.provider, identity.provider), eq(oauthAccounts.userId, user.id)));
    if (other) return other.subject === identity.subject ? { user, linked: false } : { refused: "other_identity_linked" };
    const [link] = await tx
      .insert(oauthAccounts)
      .values({ provider: identity.provider, providerAccountId: identity.subject, userId: user.id })
      .onConflictDoNothing()
      .returning({ userId: oauthAccounts.userId });
    return link ? { user, linked: true } : "raced"; // this subject was linked meanwhile
  });
}
