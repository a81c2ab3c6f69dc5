// Users: creation, lookup, enabling and disabling. Server-only.
import { and, asc, count, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { revokeUserTokens } from "@/lib/auth/api-tokens";
import { generatePassword, hashPassword, MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "@/lib/auth/password";
import { getDb, type Db } from "@/lib/db/client";
import { users, type User, type UserRole } from "@/lib/db/schema";

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(MAX_EMAIL_LENGTH, `An email address has at most ${MAX_EMAIL_LENGTH} characters`)
  .pipe(z.email({ message: "Enter a valid email address" }));

/** A new password (sign-in accepts any length up to the maximum, for passwords set before). */
export const passwordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Password must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `Password must be at most ${MAX_PASSWORD_LENGTH} characters`);

export const newUserSchema = z.object({
  email: emailSchema,
  role: z.enum(["admin", "annotator"]),
  name: z.string().trim().min(1).max(200).optional(),
  password: passwordSchema.optional(),
});
export type NewUserInput = z.input<typeof newUserSchema>;

export class DuplicateUserError extends Error {
  constructor(email: string) {
    super(`A user with email ${email} already exists`);
  }
}

/** Creates a user; when no password is given, one is generated and returned once. */
export async function createUser(
  input: NewUserInput,
  db: Pick<Db, "insert"> = getDb(),
): Promise<{ user: User; generatedPassword?: string }> {
  const parsed = newUserSchema.parse(input);
  const generatedPassword = parsed.password ? undefined : generatePassword();
  const passwordHash = await hashPassword(parsed.password ?? generatedPassword!);
  const [user] = await db
    .insert(users)
    .values({ email: parsed.email, role: parsed.role, name: parsed.name ?? null, passwordHash })
    .onConflictDoNothing({ target: users.email })
    .returning();
  if (!user) throw new DuplicateUserError(parsed.email);
  return { user, generatedPassword };
}

export async function getUserByEmail(email: string): Promise<User | undefined> {
  const [user] = await getDb().select().from(users).where(eq(users.email, email.trim().toLowerCase()));
  return user;
}

export async function getUserById(id: string): Promise<User | undefined> {
  if (!z.uuid().safeParse(id).success) return undefined;
  const [user] = await getDb().select().from(users).where(eq(users.id, id));
  return user;
}

/** The user when they exist and are not disabled. */
export async function getActiveUser(id: string): Promise<User | undefined> {
  const user = await getUserById(id);
  return user && !user.disabledAt ? user : undefined;
}

export async function listUsers(): Promise<User[]> {
  return getDb().select().from(users).orderBy(asc(users.createdAt));
}

export async function countActiveAdmins(): Promise<number> {
  const [row] = await getDb()
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.role, "admin"), isNull(users.disabledAt)));
  return row?.n ?? 0;
}

export class LastAdminError extends Error {
  constructor() {
    super("The last active admin cannot be disabled or demoted");
  }
}

/**
 * Disables or re-enables a user; refuses to leave the platform without an active admin.
 * Disabling ends the user's sessions and revokes their tokens in every process at once, so
 * re-enabling brings back neither: the user signs in again and makes new tokens.
 */
export async function setUserDisabled(id: string, disabled: boolean): Promise<User> {
  return getDb().transaction(async (tx) => {
    const [target] = await tx.select().from(users).where(eq(users.id, id)).for("update");
    if (!target) throw new Error("No such user");
    if (disabled && target.role === "admin" && !target.disabledAt) {
      // Lock every active admin row so two admins can't disable each other at once.
      const admins = await tx
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.role, "admin"), isNull(users.disabledAt)))
        .for("update");
      if (admins.length <= 1) throw new LastAdminError();
    }
    const [updated] = await tx
      .update(users)
      .set({
        disabledAt: disabled ? (target.disabledAt ?? new Date()) : null,
        ...(disabled ? { sessionVersion: sql`${users.sessionVersion} + 1` } : {}),
      })
      .where(eq(users.id, id))
      .returning();
    if (disabled) await revokeUserTokens(id, tx); // and clears cached token users, in every process
    return updated!;
  });
}

export async function touchLastLogin(id: string): Promise<void> {
  await getDb().update(users).set({ lastLoginAt: new Date() }).where(eq(users.id, id));
}

export type PublicUser = Pick<User, "id" | "email" | "name" | "role"> & {
  disabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
};

export function toPublicUser(u: User): PublicUser {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role as UserRole,
    disabled: u.disabledAt !== null,
    createdAt: u.createdAt.toISOString(),
    lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
  };
}
