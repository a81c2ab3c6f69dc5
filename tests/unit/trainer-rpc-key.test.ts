// The trainer holds a key derived from NEXTAUTH_SECRET, never the secret (which signs
// sessions), and a production web app refuses a short secret.
import { describe, expect, it } from "vitest";
import { parseEnv } from "@/lib/config/env";
import { deriveTrainerRpcKey, signRequest, trainerRpcKey } from "@/lib/models/internal-auth";
import { trainerEnvironment } from "@/scripts/trainer-env";

const SECRET = "a-session-secret-of-forty-three-characters!";

describe("the trainer RPC key", () => {
  it("is derived from NEXTAUTH_SECRET by HKDF: fixed for one secret, different for another, revealing nothing of it", () => {
    const key = deriveTrainerRpcKey(SECRET);
    expect(key).toBe(deriveTrainerRpcKey(SECRET));
    expect(key).toMatch(/^[\w-]{43}$/);
    expect(key).not.toBe(SECRET);
    expect(deriveTrainerRpcKey(`${SECRET}x`)).not.toBe(key);
    expect(trainerRpcKey({ NEXTAUTH_SECRET: SECRET })).toBe(key);
    expect(trainerRpcKey({ NEXTAUTH_SECRET: SECRET, TRAINER_RPC_KEY: "k".repeat(40) })).toBe("k".repeat(40));
    expect(trainerRpcKey({})).toBeUndefined();
    // the web app (which derives it) and the trainer (which is given it) sign alike
    const req = { trainerUrl: "http://127.0.0.1:4000", method: "POST", path: "/score", body: "{}" };
    expect(signRequest(trainerRpcKey({ NEXTAUTH_SECRET: SECRET })!, req, { now: 1, nonce: "n".repeat(16) })).toEqual(signRequest(key, req, { now: 1, nonce: "n".repeat(16) }));
  });

  it("is what npm start gives the trainer, in place of NEXTAUTH_SECRET", () => {
    const trainer = trainerEnvironment({ NEXTAUTH_SECRET: SECRET, DATABASE_URL: "postgres://x", NODE_ENV: "production" });
    expect(trainer.NEXTAUTH_SECRET).toBeUndefined();
    expect(Object.values(trainer)).not.toContain(SECRET);
    expect(trainer.TRAINER_RPC_KEY).toBe(deriveTrainerRpcKey(SECRET));
    expect(trainer.DATABASE_URL).toBe("postgres://x");
    const explicit = trainerEnvironment({ NEXTAUTH_SECRET: SECRET, TRAINER_RPC_KEY: "r".repeat(32), NODE_ENV: "production" });
    expect(explicit.TRAINER_RPC_KEY).toBe("r".repeat(32));
    expect(explicit.NEXTAUTH_SECRET).toBeUndefined();
  });
});

describe("NEXTAUTH_SECRET's length", () => {
  it("must be 32 characters or more in production; shorter is refused by name", () => {
    expect(() => parseEnv({ NODE_ENV: "production", NEXTAUTH_SECRET: "short-secret" })).toThrow(/NEXTAUTH_SECRET must have at least 32 characters/);
    expect(parseEnv({ NODE_ENV: "production", NEXTAUTH_SECRET: SECRET }).NEXTAUTH_SECRET).toBe(SECRET);
    expect(parseEnv({ NODE_ENV: "test", NEXTAUTH_SECRET: "short-secret" }).NEXTAUTH_SECRET).toBe("short-secret");
    expect(() => parseEnv({ TRAINER_RPC_KEY: "too short" })).toThrow(/TRAINER_RPC_KEY/);
  });
});
