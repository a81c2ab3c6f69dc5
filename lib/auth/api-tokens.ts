// API tokens for scripts (API.md: `arbiter token create`, `Authorization: Bearer <token>`):
// created by a signed-in browser or the CLI (never by another token), listed and revoked
// by their owner (or an admin), valid until they expire (90 days unless chosen otherwise).
import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { AccessCache, notifyAccessChanged } from "@/lib/cache/access-cache";
import { getDb, type Tx } from "@/lib/db/client";
import { preparedOnce } from "@/lib/db/prepared";
import { apiTokens, users, type ApiToken, type User } from "@/lib/db/schema";
import { hashSecret, newSecret } from "./secret-token";

const TOKEN_PREFIX = "arb";

export const DEFAULT_TOKEN_DAYS = 90;
export const MAX_TOKEN_DAYS = 365;

export const newTokenSchema = z.object({
  name: z.string().trim().min(1).max(100),
  expiresInDays: z.number().int().min(1).max(MAX_TOKEN_DAYS).default(DEFAULT_TOKEN_DAYS),
});

/** Creates a token acting as `userId`; the plain token is returned once and never stored. */
export async function createApiToken(
  userId: string,
  name: string,
  opts: { expiresInDays?: number } = {},
): Promise<{ id: string; token: string; expiresAt: Date }> {
  const parsed = newTokenSchema.parse({ name, expiresInDays: opts.expiresInDays });
  const token = newSecret(TOKEN_PREFIX);
  const [row] = await getDb()
    .insert(apiTokens)
    .values({
      userId,
      name: parsed.name,
      tokenHash: hashSecret(token),
      prefix: token.slice(0, 10),
      expiresAt: new Date(Date.now() + parsed.expiresInDays * 86_400_000),
    })
    .returning({ id: apiTokens.id, expiresAt: apiTokens.expiresAt });
  return { id: row!.id, token, expiresAt: row!.expiresAt };
}

export type PublicToken = {
  id: string;
  name: string;
  prefix: string;
  status: "active" | "expired" | "revoked";
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string;
  revokedAt: string | null;
};

export function toPublicToken(t: ApiToken, now = new Date()): PublicToken {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    status: t.revokedAt ? "revoked" : t.expiresAt <= now ? "expired" : "active",
    createdAt: t.createdAt.toISOString(),
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    expiresAt: t.expiresAt.toISOString(),
    revokedAt: t.revokedAt?.toISOString() ?? null,
  };
}

/** A user's tokens, newest first, revoked and expired ones included (marked so). */
export async function listApiTokens(userId: string): Promise<PublicToken[]> {
  const rows = await getDb().select().from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(desc(apiTokens.createdAt));
  const now = new Date();
  return rows.map((t) => toPublicToken(t, now));
}

/**
 * Revokes a token; with `ownerId`, only if it belongs to that user (a token of someone
 * else is reported as absent). Every process stops accepting it at once (access-cache.ts).
 * False when there is no such token; revoking a revoked token again is true and changes nothing.
 */
export async function revokeApiToken(tokenId: string, ownerId?: string): Promise<boolean> {
  if (!z.uuid().safeParse(tokenId).success) return false;
  return getDb().transaction(async (tx) => {
    const [row] = await tx
      .update(apiTokens)
      .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, now())` })
      .where(and(eq(apiTokens.id, tokenId), ownerId ? eq(apiTokens.userId, ownerId) : undefined))
      .returning({ id: apiTokens.id });
    if (row) await notifyAccessChanged(tx);
    return row !== undefined;
  });
}

/**
 * Revokes every token of the user still in force, in the caller's transaction (sign out
 * everywhere, an admin's password reset, disabling); every process stops accepting them
 * when it commits. Returns how many were revoked.
 */
export async function revokeUserTokens(userId: string, tx: Tx): Promise<number> {
  const rows = await tx
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  await notifyAccessChanged(tx);
  return rows.length;
}

/** The owner of a token, for an admin's revocation (404 vs 403 is decided by the caller). */
export async function tokenOwner(tokenId: string): Promise<string | undefined> {
  if (!z.uuid().safeParse(tokenId).success) return undefined;
  const [row] = await getDb().select({ userId: apiTokens.userId }).from(apiTokens).where(eq(apiTokens.id, tokenId));
  return row?.userId;
}

type CachedToken = { user: User; expiresAt: number };

/**
 * Token hash → its active user, for at most 5 s: scripts and the annotation bench send the
 * same token on every request, and the lookup cost a round trip each time. Revoking a
 * token, disabling a user or ending their sessions clears it in every process
 * (access-cache.ts); expiry is checked on every use.
 */
const tokenUsers = new AccessCache<string, CachedToken>(5_000);

/** The active user behind a bearer token, or undefined for unknown, revoked, expired or disabled. */
export async function userForApiToken(token: string): Promise<User | undefined> {
  if (!token.startsWith(`${TOKEN_PREFIX}_`)) return undefined;
  const hash = hashSecret(token);
  const found = await tokenUsers.remember(hash, () => lookUpToken(hash));
  return found && found.expiresAt > Date.now() ? found.user : undefined;
}

const tokenQuery = preparedOnce((db) =>
  db
    .select({ user: users, tokenId: apiTokens.id, lastUsedAt: apiTokens.lastUsedAt, expiresAt: apiTokens.expiresAt })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, sql.placeholder("tokenHash")), isNull(apiTokens.revokedAt), gt(apiTokens.expiresAt, sql`now()`)))
    .prepare("api-tokens.user"),
);

async function lookUpToken(tokenHash: string): Promise<CachedToken | undefined> {
  const [row] = await tokenQuery().execute({ tokenHash });
  if (!row || row.user.disabledAt) return undefined;
  // Best effort and at most once a minute per token: a write on every request would cost
  // more than the request itself, and a lost update of last-used time is harmless.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() >= 60_000) {
    void getDb()
      .update(apiTokens)
      .set({ lastUsedAt: new Date() })
      .where(and(eq(apiTokens.id, row.tokenId), sql`(${apiTokens.lastUsedAt} is null or ${apiTokens.lastUsedAt} < now() - interval '1 minute')`))
      .catch(() => {});
  }
  return { user: row.user, expiresAt: row.expiresAt.getTime() };
}
