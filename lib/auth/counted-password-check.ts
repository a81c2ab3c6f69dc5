// One password guess, counted the same wherever a password is typed (sign-in, a password
// change, an admin's re-entered password): in a verification slot (verify-slots.ts), under
// the sign-in limit for (email, address) (sign-in-limit.ts), against a dummy hash when
// there is no password to check, so every allowed guess costs one argon2 verification.
import { DUMMY_HASH, verifyPassword } from "./password";
import { beginSignInAttempt, signInFailed, signInSucceeded } from "./sign-in-limit";
import { BUSY, withVerifySlot } from "./verify-slots";

/** What the caller checks the password against, read after the limit allowed the attempt. */
export type PasswordHolder<T> = {
  passwordHash: string | null | undefined;
  /** false: even the right password fails, and fails alike (a disabled account) */
  usable: boolean;
  value: T;
};

export type PasswordCheck<T> =
  | { outcome: "match"; value: T }
  | { outcome: "mismatch" }
  | { outcome: "limited"; retryAfterSeconds: number }
  | { outcome: "busy"; retryAfterSeconds: number };

/** Seconds a caller refused for lack of a verification slot is asked to wait. */
export const BUSY_RETRY_SECONDS = 1;

export async function countedPasswordCheck<T>(args: {
  email: string;
  address: string;
  password: string;
  load: () => Promise<PasswordHolder<T> | undefined>;
}): Promise<PasswordCheck<T>> {
  const result = await withVerifySlot(async (): Promise<PasswordCheck<T>> => {
    const verdict = await beginSignInAttempt(args.email, args.address);
    if (!verdict.allowed) return { outcome: "limited", retryAfterSeconds: verdict.retryAfterSeconds };
    const holder = await args.load();
    const matches = await verifyPassword(holder?.passwordHash ?? DUMMY_HASH, args.password);
    if (!holder?.passwordHash || !matches || !holder.usable) {
      // a right password for an unusable account counts as a failure too: the counter is
      // not reset and the answer is the same as for a wrong one
      await signInFailed(verdict.attempt);
      return { outcome: "mismatch" };
    }
    await signInSucceeded(verdict.attempt);
    return { outcome: "match", value: holder.value };
  });
  return result === BUSY ? { outcome: "busy", retryAfterSeconds: BUSY_RETRY_SECONDS } : result;
}
