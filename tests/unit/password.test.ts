import { describe, expect, it } from "vitest";
import { DUMMY_HASH, hashPassword, HASH_PARAMETERS, verifyPassword } from "@/lib/auth/password";
import { lockoutDelayMs } from "@/lib/auth/sign-in-limit";

describe("passwords", () => {
  it("check unknown emails against a dummy hash as costly as a real one", async () => {
    expect(DUMMY_HASH).toContain(`$argon2id$v=19$${HASH_PARAMETERS}$`);
    expect(await hashPassword("whatever it is")).toContain(`$${HASH_PARAMETERS}$`);
    expect(await verifyPassword(DUMMY_HASH, "")).toBe(false);
  });
});

describe("sign-in lockout delay", () => {
  it("is nothing below the limit, then the window doubled per further failure, at most a day", () => {
    expect(lockoutDelayMs(4, 5, 15)).toBe(0);
    expect(lockoutDelayMs(5, 5, 15)).toBe(15 * 60_000);
    expect(lockoutDelayMs(6, 5, 15)).toBe(30 * 60_000);
    expect(lockoutDelayMs(7, 5, 15)).toBe(60 * 60_000);
    expect(lockoutDelayMs(50, 5, 15)).toBe(86_400_000);
  });
});
