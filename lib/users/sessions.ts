// Ending a user's browser sessions. Sessions are JWTs (lib/auth/options.ts) that carry the
// user's session version from sign-in; every server check compares it with the database's
// (lib/auth/current-user.ts), so raising the version ends every session signed in before,
// from its next request on. API tokens are separate: revoke them one by one.
import { eq, sql } from "drizzle-orm";
import { getDb, type Db, type Tx } from "@/lib/db/client";
import { users } from "@/lib/db/schema";

/** Ends every session of the user ("sign out everywhere"); false when there is no such user. */
export async function endSessions(userId: string, db: Db | Tx = getDb()): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
    .where(eq(users.id, userId))
    .returning({ id: users.id });
  return rows.length > 0;
}
