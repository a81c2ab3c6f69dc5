// One-time invitation links: an admin invites an email with a role; whoever opens the
// link before it expires sets a name and password and becomes that user, once. A link
// works only while the admin who made it is still an active admin.
import { and, desc, eq, gt, isNull } from "drizzle-orm";
import { z } from "zod";
import { hashPassword } from "@/lib/auth/password";
import { getDb } from "@/lib/db/client";
import { invites, users, type Invite, type User, type UserRole } from "@/lib/db/schema";
import { emailSchema, passwordSchema } from "@/lib/users/users";
import { hashSecret, newSecret } from "./secret-token";

export const INVITE_TTL_DAYS = 7;

export const createInviteSchema = z.object({
  email: emailSchema,
  role: z.enum(["admin", "annotator"]).default("annotator"),
});

export const acceptInviteSchema = z.object({
  name: z.string().trim().min(1, "Enter your name").max(200),
  password: passwordSchema,
});

export class InviteError extends Error {}

export async function createInvite(
  input: z.input<typeof createInviteSchema>,
  createdBy: string,
): Promise<{ invite: Invite; token: string }> {
  const { email, role } = createInviteSchema.parse(input);
  const db = getDb();
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
  if (existing) throw new InviteError(`${email} already has an account`);
  const token = newSecret("inv");
  const [invite] = await db
    .insert(invites)
    .values({
      email,
      role: role as UserRole,
      createdBy,
      tokenHash: hashSecret(token),
      expiresAt: new Date(Date.now() + INVITE_TTL_DAYS * 86_400_000),
    })
    .returning();
  return { invite: invite!, token };
}

export function inviteUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/$/, "")}/invite/${encodeURIComponent(token)}`;
}

/** Invites whose maker is still an active admin (a disabled or demoted admin's links stop working). */
const madeByActiveAdmin = and(eq(users.id, invites.createdBy), eq(users.role, "admin"), isNull(users.disabledAt));

/** The invite behind a link if it can still be accepted. */
export async function findOpenInvite(token: string): Promise<Invite | undefined> {
  const [row] = await getDb()
    .select({ invite: invites })
    .from(invites)
    .innerJoin(users, madeByActiveAdmin)
    .where(
      and(
        eq(invites.tokenHash, hashSecret(token)),
        isNull(invites.acceptedAt),
        isNull(invites.revokedAt),
        gt(invites.expiresAt, new Date()),
      ),
    );
  return row?.invite;
}

/**
 * Accepts an invite in one transaction: the link is checked and its row locked first, so
 * a bad or used link costs no password hashing (argon2 is the expensive part, and anyone
 * can send this), and a second use of the link waits for the first and then fails.
 */
export async function acceptInvite(token: string, input: z.input<typeof acceptInviteSchema>): Promise<User> {
  const { name, password } = acceptInviteSchema.parse(input);
  return getDb().transaction(async (tx) => {
    const [invite] = await tx
      .select()
      .from(invites)
      .where(eq(invites.tokenHash, hashSecret(token)))
      .for("update");
    if (!invite || invite.revokedAt) throw new InviteError("This invitation link is not valid");
    if (invite.acceptedAt) throw new InviteError("This invitation has already been used");
    if (invite.expiresAt <= new Date()) throw new InviteError("This invitation has expired; ask for a new one");
    const [maker] = await tx.select({ id: users.id }).from(users).where(and(eq(users.id, invite.createdBy), eq(users.role, "admin"), isNull(users.disabledAt)));
    if (!maker) throw new InviteError("This invitation link is not valid");
    const passwordHash = await hashPassword(password);
    const [user] = await tx
      .insert(users)
      .values({ email: invite.email, role: invite.role, name, passwordHash })
      .onConflictDoNothing({ target: users.email })
      .returning();
    if (!user) throw new InviteError(`${invite.email} already has an account`);
    await tx.update(invites).set({ acceptedAt: new Date(), acceptedBy: user.id }).where(eq(invites.id, invite.id));
    return user;
  });
}

export async function listPendingInvites(): Promise<Invite[]> {
  const rows = await getDb()
    .select({ invite: invites })
    .from(invites)
    .innerJoin(users, madeByActiveAdmin)
    .where(and(isNull(invites.acceptedAt), isNull(invites.revokedAt), gt(invites.expiresAt, new Date())))
    .orderBy(desc(invites.createdAt));
  return rows.map((r) => r.invite);
}

export async function revokeInvite(id: string): Promise<void> {
  await getDb().update(invites).set({ revokedAt: new Date() }).where(and(eq(invites.id, id), isNull(invites.acceptedAt)));
}
