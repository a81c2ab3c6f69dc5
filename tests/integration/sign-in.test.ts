// Password sign-in as next-auth's credentials provider runs it (signInWithPassword), with
// the request's headers, against the real database: the limiter keyed on (email, address),
// parallel guesses, growing delays, spraying, IPv6 networks, one email from many
// addresses, the client address, length caps, disabled
// accounts, the bound on verifications at once, timing
// between known and unknown emails, and no internal error text for a signed-out visitor.
import { eq, inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { PEER_ADDRESS_HEADER } from "@/lib/auth/client-address";
import { SIGN_IN_ERRORS, SignInError, signInWithPassword } from "@/lib/auth/password-sign-in";
import { VERIFY_RUNNING_MAX, VERIFY_WAITING_MAX } from "@/lib/auth/verify-slots";
import { closeDb, getDb } from "@/lib/db/client";
import { signInFailures } from "@/lib/db/schema";
import { createUser, setUserDisabled } from "@/lib/users/users";
import { uniqueEmail } from "./helpers";

const PASSWORD = "the right password";
const MAX = 5; // SIGNIN_MAX_FAILURES's default
const WINDOW_MIN = 15; // SIGNIN_WINDOW_MINUTES's default

let lastOctet = 0;
/** A fresh client address per test, so tests never share a limit. */
function anAddress(): string {
  lastOctet++;
  return `198.51.${Math.floor(Math.random() * 250)}.${lastOctet % 250}`;
}

function from(address: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [PEER_ADDRESS_HEADER]: address, ...extra };
}

async function aUser(password = PASSWORD) {
  return (await createUser({ email: uniqueEmail("signin"), role: "annotator", password })).user;
}

/** The message a sign-in ends with: "ok" or the SignInError's text. */
async function attempt(email: string, password: string, headers: Record<string, string>): Promise<string> {
  try {
    await signInWithPassword({ email, password }, headers);
    return "ok";
  } catch (err) {
    if (!(err instanceof SignInError)) throw err;
    return err.message;
  }
}

/** Moves the pair's recorded attempts `minutes` into the past, as if that much time went by. */
async function age(email: string, minutes: number): Promise<void> {
  await getDb()
    .update(signInFailures)
    .set({ at: sql`${signInFailures.at} - make_interval(mins => ${minutes})` })
    .where(eq(signInFailures.email, email));
}

const limited = /^Too many failed sign-in attempts/;

describe("password sign-in limit", () => {
  it(`refuses the (email, address) after ${MAX} failures, even the right password, but not the same email from elsewhere`, async () => {
    const user = await aUser();
    const attacker = anAddress();
    for (let i = 0; i < MAX; i++) expect(await attempt(user.email, `wrong-${i}`, from(attacker))).toBe(SIGN_IN_ERRORS.wrongPassword);
    expect(await attempt(user.email, PASSWORD, from(attacker))).toMatch(limited);
    expect(await attempt(user.email, PASSWORD, from(anAddress()))).toBe("ok");
  });

  it("counts guesses sent in parallel against each other: only the limit's worth are checked", async () => {
    const user = await aUser();
    const address = anAddress();
    const answers = await Promise.all(Array.from({ length: 3 * MAX }, (_, i) => attempt(user.email, `guess-${i}`, from(address))));
    const checked = answers.filter((a) => a === SIGN_IN_ERRORS.wrongPassword).length;
    expect(checked).toBe(MAX); // decided one after another under the address's lock: exactly the limit
    expect(answers.filter((a) => limited.test(a))).toHaveLength(3 * MAX - checked);
    expect(await attempt(user.email, PASSWORD, from(address))).toMatch(limited);
  });

  it("makes each further failure wait twice as long (15, 30, 60 minutes)", async () => {
    const user = await aUser();
    const address = anAddress();
    for (let i = 0; i < MAX; i++) await attempt(user.email, `wrong-${i}`, from(address));
    expect(await attempt(user.email, "x", from(address))).toBe(SIGN_IN_ERRORS.rateLimited(WINDOW_MIN));
    await age(user.email, WINDOW_MIN + 1);
    expect(await attempt(user.email, "wrong again", from(address))).toBe(SIGN_IN_ERRORS.wrongPassword);
    expect(await attempt(user.email, PASSWORD, from(address))).toBe(SIGN_IN_ERRORS.rateLimited(2 * WINDOW_MIN));
    await age(user.email, WINDOW_MIN + 1);
    expect(await attempt(user.email, PASSWORD, from(address))).toMatch(limited); // 30 minutes not over yet
    await age(user.email, WINDOW_MIN);
    expect(await attempt(user.email, "and again", from(address))).toBe(SIGN_IN_ERRORS.wrongPassword);
    expect(await attempt(user.email, PASSWORD, from(address))).toBe(SIGN_IN_ERRORS.rateLimited(4 * WINDOW_MIN));
    await age(user.email, 4 * WINDOW_MIN + 1);
    expect(await attempt(user.email, PASSWORD, from(address))).toBe("ok");
    // a success starts the pair afresh
    expect(await getDb().select().from(signInFailures).where(eq(signInFailures.email, user.email))).toEqual([]);
  });

  it("refuses an address that fails across many emails (spraying), not other addresses", async () => {
    const sprayer = anAddress();
    for (let i = 0; i < 4 * MAX; i++) expect(await attempt(uniqueEmail("spray"), "password123456", from(sprayer))).toBe(SIGN_IN_ERRORS.wrongPassword);
    const user = await aUser();
    expect(await attempt(user.email, PASSWORD, from(sprayer))).toMatch(limited);
    expect(await attempt(user.email, PASSWORD, from(anAddress()))).toBe("ok");
  });

  it("counts an IPv6 address as its /64 network: a fresh address in the same /64 is still refused", async () => {
    const user = await aUser();
    const net = `2001:db8:${(lastOctet++).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}`;
    for (let i = 0; i < MAX; i++) expect(await attempt(user.email, `wrong-${i}`, from(`${net}::${(i + 1).toString(16)}`))).toBe(SIGN_IN_ERRORS.wrongPassword);
    expect(await attempt(user.email, PASSWORD, from(`${net}:ffff:ffff:ffff:fffe`))).toMatch(limited);
    expect(await attempt(user.email, PASSWORD, from(`2001:db8:ffff:${(lastOctet++).toString(16)}::1`))).toBe("ok"); // another /64
  });

  it(`spaces attempts for an email a minute apart after ${4 * MAX} failures from any addresses: slowed, never locked out`, async () => {
    const user = await aUser();
    for (let i = 0; i < 4 * MAX; i++) expect(await attempt(user.email, `wrong-${i}`, from(anAddress()))).toBe(SIGN_IN_ERRORS.wrongPassword);
    // a fresh address, with the right password: asked to wait under a minute
    expect(await attempt(user.email, PASSWORD, from(anAddress()))).toBe(SIGN_IN_ERRORS.rateLimited(1));
    await age(user.email, 1);
    expect(await attempt(user.email, "one more guess", from(anAddress()))).toBe(SIGN_IN_ERRORS.wrongPassword);
    expect(await attempt(user.email, PASSWORD, from(anAddress()))).toBe(SIGN_IN_ERRORS.rateLimited(1));
    await age(user.email, 1);
    expect(await attempt(user.email, PASSWORD, from(anAddress()))).toBe("ok");
  });

  it("takes the address from the socket, not from X-Forwarded-For or X-Real-IP a client sends", async () => {
    const user = await aUser();
    const address = anAddress();
    for (let i = 0; i < MAX; i++) {
      const spoofed = { "x-forwarded-for": `203.0.113.${i}`, "x-real-ip": `203.0.114.${i}` };
      expect(await attempt(user.email, `wrong-${i}`, from(address, spoofed))).toBe(SIGN_IN_ERRORS.wrongPassword);
    }
    expect(await attempt(user.email, PASSWORD, from(address, { "x-forwarded-for": "203.0.113.200" }))).toMatch(limited);
    const rows = await getDb().select({ ip: signInFailures.ip }).from(signInFailures).where(eq(signInFailures.email, user.email));
    expect(new Set(rows.map((r) => r.ip))).toEqual(new Set([address]));
  });

  it("writes and checks nothing for an email over 254 or a password over 1,024 characters", async () => {
    const user = await aUser();
    const address = anAddress();
    const longEmail = `${"a".repeat(250)}@test.example`;
    expect(await attempt(longEmail, PASSWORD, from(address))).toBe(SIGN_IN_ERRORS.wrongPassword);
    const started = performance.now();
    expect(await attempt(user.email, "p".repeat(1025), from(address))).toBe(SIGN_IN_ERRORS.wrongPassword);
    expect(performance.now() - started).toBeLessThan(20); // no argon2 work
    expect(await getDb().select().from(signInFailures).where(eq(signInFailures.ip, address))).toEqual([]);
    expect(await attempt(user.email, PASSWORD, from(address))).toBe("ok");
  });

  it("fails a disabled account as a wrong password, even with the right one, which counts as a failure", async () => {
    const user = await aUser();
    await setUserDisabled(user.id, true);
    const address = anAddress();
    for (let i = 0; i < MAX - 1; i++) expect(await attempt(user.email, `wrong ${i}`, from(address))).toBe(SIGN_IN_ERRORS.wrongPassword);
    expect(await attempt(user.email, PASSWORD, from(address))).toBe(SIGN_IN_ERRORS.wrongPassword);
    // the right password did not reset the pair's count: the limit is reached
    expect(await attempt(user.email, PASSWORD, from(address))).toMatch(limited);
  });

  it(`checks at most ${VERIFY_RUNNING_MAX} passwords at once with ${VERIFY_WAITING_MAX} waiting; more are refused at once and recorded nowhere`, async () => {
    const extra = 7;
    const emails = Array.from({ length: VERIFY_RUNNING_MAX + VERIFY_WAITING_MAX + extra }, () => uniqueEmail("flood"));
    const answers = await Promise.all(emails.map((email) => attempt(email, "not a password anyone has", from(anAddress()))));
    expect(answers.filter((a) => a === SIGN_IN_ERRORS.busy)).toHaveLength(extra);
    expect(answers.filter((a) => a === SIGN_IN_ERRORS.wrongPassword)).toHaveLength(emails.length - extra);
    const recorded = await getDb().select({ email: signInFailures.email }).from(signInFailures).where(inArray(signInFailures.email, emails));
    expect(recorded).toHaveLength(emails.length - extra);
  });
});

describe("password sign-in, what a signed-out visitor can learn", () => {
  it("takes as long for an unknown email as for a known one with a wrong password (both check one hash)", async () => {
    const user = await aUser();
    const time = async (email: string) => {
      const started = performance.now();
      expect(await attempt(email, "not the password", from(anAddress()))).toBe(SIGN_IN_ERRORS.wrongPassword);
      return performance.now() - started;
    };
    await time(user.email); // warm-up
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 6; i++) {
      known.push(await time(user.email));
      unknown.push(await time(uniqueEmail("nobody")));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // Without the dummy hash an unknown email answered in a few ms against ~30+ ms.
    expect(median(unknown) / median(known)).toBeGreaterThan(0.6);
    expect(median(unknown) / median(known)).toBeLessThan(1.6);
  });

  it("answers a database failure with a generic message, never the error's text", async () => {
    const user = await aUser();
    const url = process.env.DATABASE_URL;
    await closeDb();
    process.env.DATABASE_URL = "postgres://arbiter:secret@127.0.0.1:1/nowhere";
    try {
      const answer = await attempt(user.email, PASSWORD, from(anAddress()));
      expect(answer).toBe(SIGN_IN_ERRORS.unavailable);
      expect(answer).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres|nowhere/);
    } finally {
      await closeDb();
      process.env.DATABASE_URL = url;
    }
    expect(await attempt(user.email, PASSWORD, from(anAddress()))).toBe("ok");
  });
});
