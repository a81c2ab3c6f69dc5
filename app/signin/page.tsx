import { redirect } from "next/navigation";
import { getSessionUser } from "@/lib/auth/current-user";
import { configuredOAuthProviders } from "@/lib/auth/options";
import { SignInForm } from "./sign-in-form";

export const dynamic = "force-dynamic";

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string; error?: string; joined?: string }> }) {
  const { callbackUrl, error, joined } = await searchParams;
  // Only same-site paths: an open redirect would let a link send users anywhere after sign-in.
  const target = callbackUrl?.startsWith("/") && !callbackUrl.startsWith("//") ? callbackUrl : "/";
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
