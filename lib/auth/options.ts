// next-auth configuration: email + password for everyone, plus GitHub and a generic OIDC
// issuer (company SSO) when their variables are set. Sessions are JWTs carrying only the
// user id; roles and the disabled flag are read from the database on every server check
// (lib/auth/current-user.ts), so demoting or disabling someone takes effect at once.
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import GitHubProvider from "next-auth/providers/github";
import type { OAuthConfig } from "next-auth/providers/oauth";
import { z } from "zod";
import { env } from "@/lib/config/env";
import { callbackPath } from "./callback-url";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { getUserByEmail, touchLastLogin } from "@/lib/users/users";
import { verifyPassword } from "./password";
import { checkSignInLimit, clearSignInFailures, recordSignInFailure } from "./sign-in-limit";

export const SIGN_IN_ERRORS = {
  wrongPassword: "Wrong email or password.",
  disabled: "This account has been disabled. Ask an admin to re-enable it.",
  rateLimited: (minutes: number) => `Too many failed sign-in attempts. Try again in ${minutes} minutes.`,
};

const credentialsSchema = z.object({
  email: z.string().trim().toLowerCase().min(1),
  password: z.string().min(1),
});

function clientIp(headers: Record<string, unknown> | undefined): string | null {
  const forwarded = headers?.["x-forwarded-for"];
  if (typeof forwarded === "string" && forwarded) return forwarded.split(",")[0]!.trim();
  const real = headers?.["x-real-ip"];
  return typeof real === "string" && real ? real : null;
}

const credentials = CredentialsProvider({
  id: "credentials",
  name: "Email and password",
  credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
  async authorize(raw, req) {
    const parsed = credentialsSchema.safeParse(raw);
    if (!parsed.success) throw new Error(SIGN_IN_ERRORS.wrongPassword);
    const { email, password } = parsed.data;
    const ip = clientIp(req?.headers as Record<string, unknown> | undefined);
    const verdict = await checkSignInLimit(email, ip);
    if (verdict.limited) throw new Error(SIGN_IN_ERRORS.rateLimited(verdict.retryAfterMinutes));
    const user = await getUserByEmail(email);
    const ok = user?.passwordHash ? await verifyPassword(user.passwordHash, password) : false;
    if (!user || !ok) {
      await recordSignInFailure(email, ip);
      throw new Error(SIGN_IN_ERRORS.wrongPassword);
    }
    if (user.disabledAt) throw new Error(SIGN_IN_ERRORS.disabled);
    await clearSignInFailures(email);
    await touchLastLogin(user.id);
    return { id: user.id, email: user.email, name: user.name };
  },
});

function oauthProviders(): OAuthConfig<any>[] {
  const e = env();
  const list: OAuthConfig<any>[] = [];
  if (e.GITHUB_ID && e.GITHUB_SECRET) list.push(GitHubProvider({ clientId: e.GITHUB_ID, clientSecret: e.GITHUB_SECRET }));
  if (e.OIDC_ISSUER && e.OIDC_CLIENT_ID && e.OIDC_CLIENT_SECRET) {
    list.push({
      id: "oidc",
      name: e.OIDC_NAME,
      type: "oauth",
      wellKnown: `${e.OIDC_ISSUER.replace(/\/$/, "")}/.well-known/openid-configuration`,
      clientId: e.OIDC_CLIENT_ID,
      clientSecret: e.OIDC_CLIENT_SECRET,
      authorization: { params: { scope: "openid email profile" } },
      idToken: true,
      checks: ["pkce", "state"],
      profile: (p: { sub: string; name?: string; email?: string }) => ({ id: p.sub, name: p.name ?? null, email: p.email ?? null }),
    });
  }
  return list;
}

export function configuredOAuthProviders(): { id: string; name: string }[] {
  return oauthProviders().map((p) => ({ id: p.id, name: p.name }));
}

/**
 * An OAuth identity signs in as the Arbiter user with the same (verified by the provider)
 * email. Unknown emails are refused unless OAUTH_SIGNUP_ROLE=annotator.
 */
async function userIdForOAuthEmail(email: string | null | undefined): Promise<string | null> {
  if (!email) return null;
  const existing = await getUserByEmail(email);
  if (existing) return existing.disabledAt ? null : existing.id;
  if (env().OAUTH_SIGNUP_ROLE !== "annotator") return null;
  const [created] = await getDb()
    .insert(users)
    .values({ email: email.toLowerCase(), role: "annotator" })
    .onConflictDoNothing()
    .returning({ id: users.id });
  return created?.id ?? (await getUserByEmail(email))?.id ?? null;
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
        return (await userIdForOAuthEmail(user.email)) !== null;
      },
      async jwt({ token, user, account }) {
        if (account && user) {
          token.uid = account.provider === "credentials" ? user.id : await userIdForOAuthEmail(user.email);
          if (token.uid && account.provider !== "credentials") await touchLastLogin(token.uid as string);
        }
        return token;
      },
      async session({ session, token }) {
        return { ...session, userId: token.uid as string | undefined };
      },
    },
  };
}
