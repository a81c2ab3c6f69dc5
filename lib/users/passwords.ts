// Changing passwords: a user changes their own (knowing the current one), an admin resets
// anyone's. Either ends the user's existing sessions (lib/users/sessions.ts).
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { generatePassword, hashPassword, MAX_PASSWORD_LENGTH, verifyPassword } from "@/lib/auth/password";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { getUserById, passwordSchema } from "./users";

export const changePasswordSchema = z.object({
  currentPassword: z.string().min(1, "Enter your current password").max(MAX_PASSWORD_LENGTH),
  newPassword: passwordSchema,
});

export const resetPasswordSchema = z.object({ password: passwordSchema.optional() });

export class PasswordChangeError extends Error {}

async function setPassword(userId: string, password: string): Promise<void> {
  const passwordHash = await hashPassword(password);
  await getDb()
    .update(users)
    .set({ passwordHash, sessionVersion: sql`${users.sessionVersion} + 1` })
    .where(eq(users.id, userId));
}

/**
 * A user's own change: the current password must be right (a session left open on a shared
 * machine cannot take the account over). Every session ends, this one included.
 */
export async function changeOwnPassword(userId: string, input: z.input<typeof changePasswordSchema>): Promise<void> {
  const { currentPassword, newPassword } = changePasswordSchema.parse(input);
  const user = await getUserById(userId);
  if (!user) throw new PasswordChangeError("No such user");
  if (!user.passwordHash || !(await verifyPassword(user.passwordHash, currentPassword))) {
    throw new PasswordChangeError("The current password is wrong");
  }
  if (currentPassword === newPassword) throw new PasswordChangeError("The new password is the same as the current one");
  await setPassword(userId, newPassword);
}

/** An admin's reset: the given password, or a generated one returned once. Ends the user's sessions. */
export async function resetPassword(userId: string, input: z.input<typeof resetPasswordSchema> = {}): Promise<{ generatedPassword?: string }> {
  const { password } = resetPasswordSchema.parse(input);
  if (!(await getUserById(userId))) throw new PasswordChangeError("No such user");
  const generatedPassword = password ? undefined : generatePassword();
  await setPassword(userId, password ?? generatedPassword!);
  return { generatedPassword };
}
