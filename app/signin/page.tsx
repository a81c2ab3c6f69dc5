import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { callbackPath } from "@/lib/auth/callback-url";
import { getSessionUser } from "@/lib/auth/current-user";
import { configuredOAuthProviders } from "@/lib/auth/options";
import { siteOrigin } from "@/lib/config/base-url";
import { SignInForm } from "./sign-in-form";

export const dynamic = "force-dynamic";

// Anything else in the query (a repeated parameter, an unknown one) is ignored, not an error page.
const querySchema = z.object({
  callbackUrl: z.string().optional().catch(undefined),
  error: z.string().max(100).optional().catch(undefined),
  joined: z.string().optional().catch(undefined),
});

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { callbackUrl, error, joined } = querySchema.parse(await searchParams);
  // Only a path on this site: an open redirect would let a link send users anywhere after sign-in.
  const target = callbackPath(callbackUrl, siteOrigin(await headers()));
  if (await getSessionUser()) redirect(target);
  return (
    <div className="mx-auto max-w-sm py-10">
      <h1 className="text-2xl font-semibold">Sign in to Arbiter</h1>
      {joined && (
        <p role="status" className="mt-3 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
          Your account is ready. Sign in with your email and new password.
        </p>
      )}
      <SignInForm callbackUrl={target} providers={configuredOAuthProviders()} initialError={error} />
    </div>
  );
}
