// API tokens for scripts (API.md: `arbiter token create`, `Authorization: Bearer <token>`).
import { and, eq, isNull, sql } from "drizzle-orm";
import { TtlCache } from "@/lib/cache/ttl-cache";
import { getDb } from "@/lib/db/client";
import { preparedOnce } from "@/lib/db/prepared";
import { apiTokens, users, type User } from "@/lib/db/schema";
import { hashSecret, newSecret } from "./secret-token";

const TOKEN_PREFIX = "arb";

/** Creates a token acting as `userId`; the plain token is returned once and never stored. */
export async function createApiToken(userId: string, name: string): Promise<{ id: string; token: string }> {
  const token = newSecret(TOKEN_PREFIX);
  const [row] = await getDb()
    .insert(apiTokens)
    .values({ userId, name, tokenHash: hashSecret(token), prefix: token.slice(0, 10) })
    .returning({ id: apiTokens.id });
  return { id: row!.id, token };
}

/**
 * Token hash → its active user, for 5 s: scripts and the annotation bench send the same
 * token on every request, and the lookup cost a round trip each time. Disabling a user
 * here clears it (forgetApiTokens); a change by another process shows within 5 s.
 */
const tokenUsers = new TtlCache<string, User>(5_000);

export function forgetApiTokens(): void {
  tokenUsers.clear();
}

/** The active user behind a bearer token, or undefined for unknown, revoked or disabled. */
export async function userForApiToken(token: string): Promise<User | undefined> {
  if (!token.startsWith(`${TOKEN_PREFIX}_`)) return undefined;
  const hash = hashSecret(token);
  const cached = tokenUsers.get(hash);
  if (cached) return cached;
  const user = await lookUpToken(hash);
  if (user) tokenUsers.set(hash, user);
  return user;
}

const tokenQuery = preparedOnce((db) =>
  db
    .select({ user: users, tokenId: apiTokens.id, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, sql.placeholder("tokenHash")), isNull(apiTokens.revokedAt)))
    .prepare("api-tokens.user"),
);

async function lookUpToken(tokenHash: string): Promise<User | undefined> {
  const [row] = await tokenQuery().execute({ tokenHash });
  if (!row || row.user.disabledAt) return undefined;
  // Best effort and at most once a minute per token: a write on every request would cost
  // more than the request itself, and a lost update of last-used time is harmless.
  if (row.lastUsedAt && Date.now() - row.lastUsedAt.getTime() < 60_000) return row.user;
  void getDb()
    .update(apiTokens)
    .set({ lastUsedAt: new Date() })
    .where(eq(apiTokens.id, row.tokenId))
    .catch(() => {});
  return row.user;
}
