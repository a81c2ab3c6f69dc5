// Email-and-password sign-in (next-auth's credentials provider calls this). In order:
// validate → find the client's address → record the attempt and check the limit
// (sign-in-limit.ts) → check the password, against a dummy hash when the email is unknown
// so both take one argon2 verification → settle the attempt. The messages thrown reach a
// signed-out browser (next-auth puts them in the URL), so only SignInError's own texts
// leave here; anything unexpected is logged and answered with a generic one.
import { z } from "zod";
import { env } from "@/lib/config/env";
import { getUserByEmail, touchLastLogin } from "@/lib/users/users";
import { clientAddress, parseTrustedProxies } from "./client-address";
import { DUMMY_HASH, MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH, verifyPassword } from "./password";
import { beginSignInAttempt, signInFailed, signInSucceeded } from "./sign-in-limit";

export const SIGN_IN_ERRORS = {
  wrongPassword: "Wrong email or password.",
  disabled: "This account has been disabled. Ask an admin to re-enable it.",
  rateLimited: (minutes: number) => `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
  unavailable: "Sign-in is not available right now. Try again in a moment.",
};

/** An error whose message is safe to show a signed-out visitor. */
export class SignInError extends Error {}

const credentialsSchema = z.object({
  email: z.string().trim().toLowerCase().min(1).max(MAX_EMAIL_LENGTH),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
});

export type SignedInUser = { id: string; email: string; name: string | null; sessionVersion: number };

let trusted: ReturnType<typeof parseTrustedProxies> | undefined;

function trustedProxies() {
  return (trusted ??= parseTrustedProxies(env().TRUSTED_PROXIES));
}

/** The user the credentials belong to; throws SignInError otherwise. `headers` are the request's. */
export async function signInWithPassword(credentials: unknown, headers: Headers | Record<string, unknown> | undefined): Promise<SignedInUser> {
  try {
    return await checkCredentials(credentials, headers);
  } catch (err) {
    if (err instanceof SignInError) throw err;
    console.error("[auth] sign-in failed unexpectedly:", err);
    throw new SignInError(SIGN_IN_ERRORS.unavailable);
  }
}

async function checkCredentials(credentials: unknown, headers: Headers | Record<string, unknown> | undefined): Promise<SignedInUser> {
  const parsed = credentialsSchema.safeParse(credentials);
  if (!parsed.success) throw new SignInError(SIGN_IN_ERRORS.wrongPassword);
  const { email, password } = parsed.data;
  const verdict = await beginSignInAttempt(email, clientAddress(headers, trustedProxies()));
  if (!verdict.allowed) throw new SignInError(SIGN_IN_ERRORS.rateLimited(Math.ceil(verdict.retryAfterSeconds / 60)));
  const user = await getUserByEmail(email);
  const matches = await verifyPassword(user?.passwordHash ?? DUMMY_HASH, password);
  if (!user?.passwordHash || !matches) {
    await signInFailed(verdict.attempt);
    throw new SignInError(SIGN_IN_ERRORS.wrongPassword);
  }
  await signInSucceeded(verdict.attempt);
  if (user.disabledAt) throw new SignInError(SIGN_IN_ERRORS.disabled);
  await touchLastLogin(user.id);
  return { id: user.id, email: user.email, name: user.name, sessionVersion: user.sessionVersion };
}
