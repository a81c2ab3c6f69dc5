// First start: with no admin in the database, create one from ADMIN_EMAIL / ADMIN_PASSWORD,
// or admin@arbiter.local with a generated password that is printed once. Several web
// machines may start at once on one database: a transaction-scoped advisory lock makes the
// second wait and then see the first's admin, instead of failing on the duplicate email.
import { and, count, eq, isNull, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { createUser } from "./users";

export type FirstAdmin = { email: string; password?: string; generated: boolean };

const FIRST_ADMIN_LOCK = 0x4172_6241; // "ArbA"

export async function ensureAdmin(opts: { email?: string; password?: string }): Promise<FirstAdmin | null> {
  return getDb().transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${FIRST_ADMIN_LOCK})`);
    const [row] = await tx.select({ n: count() }).from(users).where(and(eq(users.role, "admin"), isNull(users.disabledAt)));
    if ((row?.n ?? 0) > 0) return null;
    const email = opts.email ?? "admin@arbiter.local";
    const { generatedPassword } = await createUser({ email, role: "admin", name: "Admin", password: opts.password }, tx);
    return { email, password: generatedPassword, generated: generatedPassword !== undefined };
  });
}
