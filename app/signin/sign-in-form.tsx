"use client";

import { signIn } from "next-auth/react";
import { useState, type FormEvent } from "react";

const OAUTH_ERRORS: Record<string, string> = {
  AccessDenied: "That account is not allowed here. Ask an admin for an invitation.",
  OAuthSignin: "Could not reach the sign-in provider.",
  OAuthCallback: "The sign-in provider returned an error.",
};

export function SignInForm(props: { callbackUrl: string; providers: { id: string; name: string }[]; initialError?: string }) {
  const [error, setError] = useState<string | undefined>(
    props.initialError ? (OAUTH_ERRORS[props.initialError] ?? "Sign-in failed.") : undefined,
  );
  const [pending, setPending] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setPending(true);
    setError(undefined);
    const result = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    setPending(false);
    if (!result || result.error) {
      setError(result?.error && result.error !== "CredentialsSignin" ? result.error : "Wrong email or password.");
      return;
    }
    window.location.assign(props.callbackUrl);
  }

  return (
    <div className="mt-6 space-y-6">
      <form onSubmit={onSubmit} className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <label className="block text-sm">
          <span className="font-medium">Email</span>
          <input name="email" type="email" autoComplete="username" required className="mt-1 w-full rounded-md border border-slate-300 px-3 py-2" />
        </label>
        <label className="block text-sm">
          <span className="font-medium">Password</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            className="mt-1 w-full rounded-md border border-slate-300 px-3 py-2"
          />
        </label>
        {error && (
          <p role="alert" data-testid="form-error" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
            {error}
          </p>
        )}
        <button
          type="submit"
          disabled={pending}
          className="w-full rounded-md bg-brand-600 px-3 py-2 font-medium text-white hover:bg-brand-700 disabled:opacity-60"
        >
          {pending ? "Signing in…" : "Sign in"}
        </button>
      </form>
      {props.providers.length > 0 && (
        <div className="space-y-2">
          {props.providers.map((p) => (
            <button
              key={p.id}
              type="button"
              onClick={() => signIn(p.id, { callbackUrl: props.callbackUrl })}
              className="w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm hover:bg-slate-100"
            >
              Continue with {p.name}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
