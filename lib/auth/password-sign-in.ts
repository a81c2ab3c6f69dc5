// Email-and-password sign-in (next-auth's credentials provider calls this). In order:
// validate → find the client's address → one counted password check
// (counted-password-check.ts: a verification slot, the sign-in limit, the password against
// a dummy hash when the email is unknown) → the session's user. A disabled account fails
// exactly as a wrong password does, even with the right one, so a guesser cannot tell that
// a password was right. The messages thrown reach a signed-out browser (next-auth puts
// them in the URL), so only SignInError's own texts leave here; anything unexpected is
// logged and answered with a generic one.
import { z } from "zod";
import { getUserByEmail, touchLastLogin } from "@/lib/users/users";
import { countedPasswordCheck } from "./counted-password-check";
import { MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH } from "./password";
import { requestAddress } from "./request-address";

export const SIGN_IN_ERRORS = {
  wrongPassword: "Wrong email or password.",
  busy: "Too many sign-ins at once. Try again in a moment.",
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
  const check = await countedPasswordCheck({
    email,
    address: requestAddress(headers),
    password,
    load: async () => {
      const user = await getUserByEmail(email);
      return user && { passwordHash: user.passwordHash, usable: !user.disabledAt, value: user };
    },
  });
  if (check.outcome === "busy") throw new SignInError(SIGN_IN_ERRORS.busy);
  if (check.outcome === "limited") throw new SignInError(SIGN_IN_ERRORS.rateLimited(Math.ceil(check.retryAfterSeconds / 60)));
  if (check.outcome === "mismatch") throw new SignInError(SIGN_IN_ERRORS.wrongPassword);
  const user = check.value;
  await touchLastLogin(user.id);
  return { id: user.id, email: user.email, name: user.name, sessionVersion: user.sessionVersion };
}
