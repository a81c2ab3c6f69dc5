// Rate limit on failed sign-ins, kept in PostgreSQL so every web instance sees the same
// count. Per email (guessing one account's password) and per address (spraying many).
import { and, count, eq, gt, lt } from "drizzle-orm";
import { env } from "@/lib/config/env";
import { getDb } from "@/lib/db/client";
import { signInFailures } from "@/lib/db/schema";

const ADDRESS_FACTOR = 4; // an address may fail this many times more than one email

export type LimitVerdict = { limited: false } | { limited: true; retryAfterMinutes: number };

export async function checkSignInLimit(email: string, ip: string | null): Promise<LimitVerdict> {
  const { SIGNIN_MAX_FAILURES: max, SIGNIN_WINDOW_MINUTES: minutes } = env();
  const since = new Date(Date.now() - minutes * 60_000);
  const db = getDb();
  const [byEmail] = await db
    .select({ n: count() })
    .from(signInFailures)
    .where(and(eq(signInFailures.email, email), gt(signInFailures.at, since)));
  let limited = (byEmail?.n ?? 0) >= max;
  if (!limited && ip) {
    const [byIp] = await db
      .select({ n: count() })
      .from(signInFailures)
      .where(and(eq(signInFailures.ip, ip), gt(signInFailures.at, since)));
    limited = (byIp?.n ?? 0) >= max * ADDRESS_FACTOR;
  }
  return limited ? { limited: true, retryAfterMinutes: minutes } : { limited: false };
}

export async function recordSignInFailure(email: string, ip: string | null): Promise<void> {
  const db = getDb();
  await db.insert(signInFailures).values({ email, ip });
  // Keep the table small: rows older than a day carry no weight.
  await db.delete(signInFailures).where(lt(signInFailures.at, new Date(Date.now() - 86_400_000)));
}

export async function clearSignInFailures(email: string): Promise<void> {
  await getDb().delete(signInFailures).where(eq(signInFailures.email, email));
}
