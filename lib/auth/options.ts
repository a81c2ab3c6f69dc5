// next-auth configuration: email + password for everyone, plus GitHub and a generic OIDC
// issuer (company SSO) when their variables are set (oauth-providers.ts). Sessions are
// JWTs carrying the user id and the user's session version at sign-in; roles, the
// disabled flag and the version are read from the database on every server check
// (lib/auth/current-user.ts), so demoting, disabling or signing someone out everywhere
// takes effect at once.
import type { NextAuthOptions } from "next-auth";
import credentialsModule from "next-auth/providers/credentials";
import { env } from "@/lib/config/env";
import { callbackPath } from "./callback-url";
import { touchLastLogin } from "@/lib/users/users";
import { userForOAuthIdentity } from "./oauth-link";
import { oauthProviders, type ProviderProfile } from "./oauth-providers";
import { signInWithPassword, type SignedInUser } from "./password-sign-in";

// next-auth's providers are CommonJS: under Next and vitest the default import is the
// function, under plain Node ESM (tsx: the short chaos test's web process) the module object.
const CredentialsProvider = (credentialsModule as unknown as { default?: typeof credentialsModule }).default ?? credentialsModule;

/** What getServerSession returns here. */
export type SessionClaims = { userId?: string; sessionVersion?: number };

/** The Arbiter user a sign-in resolved to, carried from authorize / signIn to the jwt callback. */
type Resolved = { arbiter?: { userId: string; sessionVersion: number } };

const credentials = CredentialsProvider({
  id: "credentials",
  name: "Email and password",
  credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
  async authorize(raw, req) {
    const user: SignedInUser = await signInWithPassword(raw, req?.headers);
    return { id: user.id, email: user.email, name: user.name, arbiter: { userId: user.id, sessionVersion: user.sessionVersion } };
  },
});

export function configuredOAuthProviders(): { id: string; name: string }[] {
  return oauthProviders().map((p) => ({ id: p.id, name: p.name }));
}

export function authOptions(): NextAuthOptions {
  return {
    secret: env().NEXTAUTH_SECRET,
    session: { strategy: "jwt", maxAge: 7 * 24 * 3600 },
    pages: { signIn: "/signin", error: "/signin" },
    providers: [credentials, ...oauthProviders()],
    callbacks: {
      // After sign-in, only a path on this site (callback-url.ts): next-auth's default
      // prefixes any "/…" with the base URL, which turns `/\evil.com` into another site.
      redirect({ url, baseUrl }) {
        const origin = new URL(baseUrl).origin;
        return `${origin}${callbackPath(url, origin)}`;
      },
      async signIn({ user, account }) {
        if (!account || account.provider === "credentials") return true;
        // Errors thrown here would reach the browser's URL; log them and refuse instead.
        try {
          const profile = user as unknown as ProviderProfile & Resolved;
          const outcome = await userForOAuthIdentity({
            provider: account.provider,
            subject: account.providerAccountId,
            email: profile.email,
            emailVerified: profile.emailVerified === true,
            name: profile.name,
          });
          if ("refused" in outcome) {
            console.warn(`[auth] ${account.provider} sign-in refused: ${outcome.refused}`);
            return false;
          }
          await touchLastLogin(outcome.user.id);
          profile.arbiter = { userId: outcome.user.id, sessionVersion: outcome.user.sessionVersion };
          return true;
        } catch (err) {
          console.error(`[auth] ${account.provider} sign-in failed:`, err);
          return false;
        }
      },
      async jwt({ token, user, account }) {
        if (account && user) {
          const resolved = (user as Resolved).arbiter;
          token.uid = resolved?.userId;
          token.sv = resolved?.sessionVersion;
        }
        return token;
      },
      async session({ session, token }) {
        return { ...session, userId: token.uid as string | undefined, sessionVersion: token.sv as number | undefined } as typeof session;
      },
    },
  };
}
