// The OAuth / OIDC providers the environment configures: GitHub (GITHUB_ID/SECRET) and one
// generic OpenID Connect issuer (OIDC_*). Each profile says whether the provider verified
// the email it reports, which is all that may link a first sign-in to an existing account
// (oauth-link.ts): OIDC's `email_verified` claim, GitHub's verified primary address.
import GitHubProvider from "next-auth/providers/github";
import type { OAuthConfig } from "next-auth/providers/oauth";
import { z } from "zod";
import { env } from "@/lib/config/env";

/** What every provider's profile() returns: next-auth's user plus the verification flag. */
export type ProviderProfile = { id: string; name: string | null; email: string | null; image?: string | null; emailVerified: boolean };

const githubEmails = z.array(z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }).loose());

/** GitHub's primary address when GitHub has verified it (GET /user/emails), else null. */
export function githubVerifiedPrimaryEmail(emails: unknown): string | null {
  const parsed = githubEmails.safeParse(emails);
  if (!parsed.success) return null;
  return parsed.data.find((e) => e.primary && e.verified)?.email ?? null;
}

/** OIDC Core §5.1: `email_verified` is a boolean; some issuers send the string "true". */
export function oidcEmailVerified(claim: unknown): boolean {
  return claim === true || claim === "true";
}

type GitHubUser = { id: number; login: string; name?: string | null; avatar_url?: string | null; verified_primary_email?: string | null };

function github(clientId: string, clientSecret: string): OAuthConfig<GitHubUser> {
  const base = GitHubProvider({ clientId, clientSecret }) as unknown as OAuthConfig<GitHubUser>;
  return {
    ...base,
    userinfo: {
      url: "https://api.github.com/user",
      // The profile's public `email` may be any address the user typed; ask for the list
      // with its verification flags instead (scope user:email, which the provider requests).
      async request({ client, tokens }) {
        const user = (await client.userinfo(tokens.access_token!)) as unknown as GitHubUser;
        const res = await fetch("https://api.github.com/user/emails", {
          headers: { authorization: `Bearer ${tokens.access_token}`, accept: "application/vnd.github+json" },
        });
        const verified = res.ok ? githubVerifiedPrimaryEmail(await res.json()) : null;
        return { ...user, verified_primary_email: verified } as never;
      },
    },
    profile: (p: GitHubUser): ProviderProfile => ({
      id: String(p.id),
      name: p.name ?? p.login,
      email: p.verified_primary_email ?? null,
      image: p.avatar_url ?? null,
      emailVerified: Boolean(p.verified_primary_email),
    }),
  };
}

type OidcClaims = { sub: string; name?: string; email?: string; email_verified?: unknown };

function oidc(issuer: string, clientId: string, clientSecret: string, name: string): OAuthConfig<OidcClaims> {
  return {
    id: "oidc",
    name,
    type: "oauth",
    wellKnown: `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`,
    clientId,
    clientSecret,
    authorization: { params: { scope: "openid email profile" } },
    idToken: true,
    checks: ["pkce", "state"],
    profile: (p: OidcClaims): ProviderProfile => ({
      id: p.sub,
      name: p.name ?? null,
      email: p.email ?? null,
      emailVerified: oidcEmailVerified(p.email_verified),
    }),
  };
}

export function oauthProviders(): OAuthConfig<any>[] {
  const e = env();
  const list: OAuthConfig<any>[] = [];
  if (e.GITHUB_ID && e.GITHUB_SECRET) list.push(github(e.GITHUB_ID, e.GITHUB_SECRET));
  if (e.OIDC_ISSUER && e.OIDC_CLIENT_ID && e.OIDC_CLIENT_SECRET) list.push(oidc(e.OIDC_ISSUER, e.OIDC_CLIENT_ID, e.OIDC_CLIENT_SECRET, e.OIDC_NAME));
  return list;
}
