// The limit on password guessing, kept in PostgreSQL so every web instance sees the same
// attempts. Each attempt is recorded before its password is checked, under a lock per
// address and one per email, so guesses sent in parallel count against each other. An
// address is counted by limitKey (client-address.ts): IPv4 itself, IPv6 its /64. Rules:
//
// 1. Per (email, address): SIGNIN_MAX_FAILURES attempts that did not succeed within a day
//    are free; after that each next attempt waits SIGNIN_WINDOW_MINUTES after the one
//    before, doubled for every further failure (15, 30, 60 min … at most a day). Keyed on
//    the address too, so nobody elsewhere can lock the real owner of an account out.
// 2. Per address: 4 × SIGNIN_MAX_FAILURES attempts within SIGNIN_WINDOW_MINUTES,
//    across any emails, and the next is refused (password spraying). Not applied to the unknown
//    address (a web process started without the peer-address stamp), which all share.
// 3. Per email: after 4 × SIGNIN_MAX_FAILURES failures within a day from any addresses,
//    attempts for the email are spaced EMAIL_SPACING_MS apart, whatever their address. A
//    guesser with many addresses gets one guess a minute at most (1,440 a day, where each
//    address had its own limit); the owner is delayed, never locked out: a refused owner
//    is told to wait under a minute, and the spacing lapses a day after the failures.
//
// A success removes the pair's attempts; a refused attempt is not recorded (it checked no
// password, so it neither counts nor extends the wait).
import { sql } from "drizzle-orm";
import { env } from "@/lib/config/env";
import { getDb } from "@/lib/db/client";
import { signInFailures } from "@/lib/db/schema";
import { limitKey, UNKNOWN_ADDRESS } from "./client-address";

const ADDRESS_FACTOR = 4;
const EMAIL_FACTOR = 4;
export const EMAIL_SPACING_MS = 60_000;
const MEMORY_MS = 86_400_000; // attempts older than a day carry no weight
const MAX_DELAY_MS = MEMORY_MS;

export type SignInAttempt = { id: number; email: string; address: string };

export type LimitVerdict = { allowed: true; attempt: SignInAttempt } | { allowed: false; retryAfterSeconds: number };

/** How long the pair must wait after its latest attempt, having `n` unsuccessful ones. */
export function lockoutDelayMs(n: number, maxFailures: number, windowMinutes: number): number {
  if (n < maxFailures) return 0;
  return Math.min(MAX_DELAY_MS, windowMinutes * 60_000 * 2 ** Math.min(n - maxFailures, 30));
}

/** Advisory locks of class "SI" (two-key form, apart from single-key locks elsewhere), one per address. */
const LOCK_CLASS = 0x5349;
/** Class "SE": one per email, always taken after the address's, so two attempts never wait on each other crosswise. */
const EMAIL_LOCK_CLASS = 0x5345;

/**
 * Decides on an attempt and records it, in one transaction that holds the address's lock:
 * attempts from one address are decided one after another, each counting every attempt
 * recorded before it (also those whose password is still being checked), so no number
 * of parallel guesses gets more passwords checked than the limit allows.
 */
export async function beginSignInAttempt(email: string, clientAddress: string): Promise<LimitVerdict> {
  const { SIGNIN_MAX_FAILURES: max, SIGNIN_WINDOW_MINUTES: minutes } = env();
  const address = limitKey(clientAddress);
  return getDb().transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_CLASS}, hashtext(${address}))`);
    await tx.execute(sql`select pg_advisory_xact_lock(${EMAIL_LOCK_CLASS}, hashtext(${email}))`);
    const since = sql`now() - make_interval(secs => ${MEMORY_MS / 1000})`;
    const { rows } = await tx.execute<{ pair: number; last_ms: number | null; by_address: number; by_email: number; email_last_ms: number | null; now_ms: number }>(sql`
      select
        (select count(*)::int from ${signInFailures} where email = ${email} and ip = ${address} and at > ${since}) as pair,
        (select extract(epoch from max(at)) * 1000 from ${signInFailures} where email = ${email} and ip = ${address} and at > ${since})::float8 as last_ms,
        (select count(*)::int from ${signInFailures} where ip = ${address} and at > now() - make_interval(mins => ${minutes})) as by_address,
        (select count(*)::int from ${signInFailures} where email = ${email} and at > ${since}) as by_email,
        (select extract(epoch from max(at)) * 1000 from ${signInFailures} where email = ${email} and at > ${since})::float8 as email_last_ms,
        (extract(epoch from clock_timestamp()) * 1000)::float8 as now_ms`);
    const counts = rows[0]!;
    const delay = lockoutDelayMs(counts.pair, max, minutes);
    let waitMs = delay > 0 && counts.last_ms !== null ? counts.last_ms + delay - counts.now_ms : 0;
    if (address !== UNKNOWN_ADDRESS && counts.by_address >= max * ADDRESS_FACTOR) waitMs = Math.max(waitMs, minutes * 60_000);
    if (counts.by_email >= max * EMAIL_FACTOR && counts.email_last_ms !== null) waitMs = Math.max(waitMs, counts.email_last_ms + EMAIL_SPACING_MS - counts.now_ms);
    if (waitMs > 0) return { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
    const [row] = await tx.insert(signInFailures).values({ email, ip: address, at: sql`clock_timestamp()` }).returning({ id: signInFailures.id });
    return { allowed: true, attempt: { id: row!.id, email, address } };
  });
}

/** The password was wrong: the attempt's row stays and counts; rows older than a day go. */
export async function signInFailed(_attempt: SignInAttempt): Promise<void> {
  await getDb().delete(signInFailures).where(sql`${signInFailures.at} < now() - make_interval(secs => ${MEMORY_MS / 1000})`);
}

/** The password was right: the pair starts afresh. */
export async function signInSucceeded(attempt: SignInAttempt): Promise<void> {
  await getDb().delete(signInFailures).where(sql`${signInFailures.email} = ${attempt.email} and ${signInFailures.ip} = ${attempt.address}`);
}
