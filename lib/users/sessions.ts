// Ending a user's browser sessions and API tokens ("sign out everywhere"). Sessions are
// JWTs (lib/auth/options.ts) that carry the user's session version from sign-in; every
// server check compares it with the database's (lib/auth/current-user.ts), so raising the
// version ends every session signed in before, from its next request on. The user's API
// tokens are revoked with it: whoever had the sessions may have made tokens.
import { eq, sql } from "drizzle-orm";
import { revokeUserTokens } from "@/lib/auth/api-tokens";
import { getDb, type Tx } from "@/lib/db/client";
import { users } from "@/lib/db/schema";

/** Raises the session version, ending every session; false when there is no such user. */
export async function bumpSessionVersion(userId: string, tx: Tx): Promise<boolean> {
  const rows = await tx
    .update(users)
    .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
    .where(eq(users.id, userId))
    .returning({ id: users.id });
  return rows.length > 0;
}

/** Ends every session of the user and revokes their API tokens ("sign out everywhere"); false when there is no such user. */
export async function endSessions(userId: string): Promise<boolean> {
  return getDb().transaction(async (tx) => {
    if (!(await bumpSessionVersion(userId, tx))) return false;
    await revokeUserTokens(userId, tx);
    return true;
  });
}
