// Changing passwords: a user changes their own (knowing the current one), an admin resets
// another's (an admin's only with the acting admin's own password again). Either ends the
// user's existing sessions (lib/users/sessions.ts). A password
// typed here is checked as a sign-in's is (counted-password-check.ts): the same limit per
// (email, address), so a stolen session cannot guess its way to the password.
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { revokeUserTokens } from "@/lib/auth/api-tokens";
import { countedPasswordCheck } from "@/lib/auth/counted-password-check";
import { notifyAccessChanged } from "@/lib/cache/access-cache";
import { generatePassword, hashPassword, MAX_PASSWORD_LENGTH } from "@/lib/auth/password";
import { getDb } from "@/lib/db/client";
import { users, type User } from "@/lib/db/schema";
import { getUserById, passwordSchema } from "./users";

export const changePasswordSchema = z.object({
  currentPassword: z.string().min(1, "Enter your current password").max(MAX_PASSWORD_LENGTH),
  newPassword: passwordSchema,
});

export const resetPasswordSchema = z.object({ password: passwordSchema.optional() });

/** What an admin sends to reset a user's password; `currentPassword` is the admin's own, needed when the user is an admin. */
export const adminResetSchema = resetPasswordSchema.extend({ currentPassword: z.string().min(1).max(MAX_PASSWORD_LENGTH).optional() });

export class PasswordChangeError extends Error {}

/** The acting admin must (re-)enter their own password, or entered a wrong one. */
export class OwnPasswordNeeded extends Error {}

/** The password check was refused before any password was checked: the sign-in limit, or every verification slot taken. */
export class PasswordCheckRefused extends Error {
  constructor(
    readonly reason: "limited" | "busy",
    readonly retryAfterSeconds: number,
  ) {
    super(reason === "limited" ? `Too many wrong passwords; try again in ${Math.ceil(retryAfterSeconds / 60)} minutes` : "Too many password checks at once; try again in a moment");
  }
}

/**
 * Whether `password` is the user's, counted against the sign-in limit for their email and
 * `address` (a wrong one is a failed sign-in, a right one resets the pair as a sign-in
 * does). Throws PasswordCheckRefused when the limit or the verification slots refuse.
 */
export async function isOwnPassword(userId: string, password: string, address: string): Promise<boolean> {
  const user = await getUserById(userId);
  if (!user) throw new PasswordChangeError("No such user");
  const check = await countedPasswordCheck({
    email: user.email,
    address,
    password,
    load: async () => ({ passwordHash: user.passwordHash, usable: true, value: true }),
  });
  if (check.outcome === "limited" || check.outcome === "busy") throw new PasswordCheckRefused(check.outcome, check.retryAfterSeconds);
  return check.outcome === "match";
}

/** Sets the password and ends every session; with `revokeTokens`, the user's API tokens go too, in the same transaction. */
async function setPassword(userId: string, password: string, opts: { revokeTokens: boolean }): Promise<void> {
  const passwordHash = await hashPassword(password);
  await getDb().transaction(async (tx) => {
    await tx
      .update(users)
      .set({ passwordHash, sessionVersion: sql`${users.sessionVersion} + 1` })
      .where(eq(users.id, userId));
    if (opts.revokeTokens) await revokeUserTokens(userId, tx);
    else await notifyAccessChanged(tx); // sessions ended: long answers to them re-check (access-bound-stream.ts)
  });
}

/**
 * A user's own change: the current password must be right (a session left open on a shared
 * machine cannot take the account over), checked under the sign-in limit for the user's
 * email and the request's `address`. Every session ends, this one included.
 */
export async function changeOwnPassword(userId: string, input: z.input<typeof changePasswordSchema>, address: string): Promise<void> {
  const { currentPassword, newPassword } = changePasswordSchema.parse(input);
  if (!(await isOwnPassword(userId, currentPassword, address))) throw new PasswordChangeError("The current password is wrong");
  if (currentPassword === newPassword) throw new PasswordChangeError("The new password is the same as the current one");
  await setPassword(userId, newPassword, { revokeTokens: false }); // the user's own tokens stay: "sign out everywhere" ends them
}

/**
 * An admin's reset (or the CLI's): the given password, or a generated one returned once.
 * Ends the user's sessions and revokes their API tokens: a reset means the account was
 * lost or taken, and whoever took it may have made tokens.
 */
export async function resetPassword(userId: string, input: z.input<typeof resetPasswordSchema> = {}): Promise<{ generatedPassword?: string }> {
  const { password } = resetPasswordSchema.parse(input);
  if (!(await getUserById(userId))) throw new PasswordChangeError("No such user");
  const generatedPassword = password ? undefined : generatePassword();
  await setPassword(userId, password ?? generatedPassword!, { revokeTokens: true });
  return { generatedPassword };
}

/**
 * An admin's reset of a user's password, from `address`. An admin's password (another's,
 * or one's own) is reset only with the acting admin's own password, checked under the
 * sign-in limit: a stolen admin session must not turn into a second admin account that
 * outlives it. An annotator's is reset without it, so a locked-out annotator is one click
 * from a new password. The CLI (resetPassword) works on the database and needs neither.
 */
export async function resetPasswordByAdmin(
  admin: Pick<User, "id">,
  userId: string,
  input: z.input<typeof adminResetSchema>,
  address: string,
): Promise<{ generatedPassword?: string }> {
  const { currentPassword, ...reset } = adminResetSchema.parse(input);
  const target = await getUserById(userId);
  if (!target) throw new PasswordChangeError("No such user");
  if (target.role === "admin") {
    if (!currentPassword) throw new OwnPasswordNeeded("Resetting an admin's password needs your own password (currentPassword)");
    if (!(await isOwnPassword(admin.id, currentPassword, address))) throw new OwnPasswordNeeded("Your password is wrong");
  }
  return resetPassword(userId, reset);
}
