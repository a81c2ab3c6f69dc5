import { describe, expect, it } from "vitest";
import { parseEnv } from "@/lib/config/env";
import { localWebUrl, roleWarnings, runsTrainer, runsWeb, sharedSecretProblem } from "@/scripts/start-role";

const key = "k".repeat(40);

describe("ARBITER_ROLE", () => {
  it("defaults to all and refuses anything but web, trainer or all", () => {
    expect(parseEnv({}).ARBITER_ROLE).toBe("all");
    expect(() => parseEnv({ ARBITER_ROLE: "worker" })).toThrow(/ARBITER_ROLE/);
    expect([runsWeb("web"), runsTrainer("web"), runsWeb("trainer"), runsTrainer("trainer"), runsWeb("all"), runsTrainer("all")]).toEqual([true, false, false, true, true, true]);
  });

  it("asks for the shared secret only where other machines share the database", () => {
    const db = "postgres://db.example/arbiter";
    expect(sharedSecretProblem({ ARBITER_ROLE: "web", DATABASE_URL: undefined, NEXTAUTH_SECRET: undefined, TRAINER_RPC_KEY: undefined })).toBeNull();
    expect(sharedSecretProblem({ ARBITER_ROLE: "all", DATABASE_URL: db, NEXTAUTH_SECRET: undefined, TRAINER_RPC_KEY: undefined })).toBeNull();
    expect(sharedSecretProblem({ ARBITER_ROLE: "web", DATABASE_URL: db, NEXTAUTH_SECRET: undefined, TRAINER_RPC_KEY: key })).toMatch(/NEXTAUTH_SECRET/);
    expect(sharedSecretProblem({ ARBITER_ROLE: "web", DATABASE_URL: db, NEXTAUTH_SECRET: key, TRAINER_RPC_KEY: undefined })).toBeNull();
    expect(sharedSecretProblem({ ARBITER_ROLE: "trainer", DATABASE_URL: db, NEXTAUTH_SECRET: undefined, TRAINER_RPC_KEY: undefined })).toMatch(/TRAINER_RPC_KEY/);
    expect(sharedSecretProblem({ ARBITER_ROLE: "trainer", DATABASE_URL: db, NEXTAUTH_SECRET: undefined, TRAINER_RPC_KEY: key })).toBeNull();
    expect(sharedSecretProblem({ ARBITER_ROLE: "trainer", DATABASE_URL: db, NEXTAUTH_SECRET: key, TRAINER_RPC_KEY: undefined })).toBeNull();
  });

  it("warns of a trainer other machines cannot reach", () => {
    const base = { ARBITER_ROLE: "trainer" as const, DATABASE_URL: "postgres://db/a", NEXTAUTH_SECRET: undefined, TRAINER_RPC_KEY: key, TRAINER_PUBLIC_URL: undefined, NEXTAUTH_URL: undefined };
    expect(roleWarnings({ ...base, TRAINER_HOST: "127.0.0.1" }).join()).toMatch(/cannot reach it/);
    expect(roleWarnings({ ...base, TRAINER_HOST: "0.0.0.0" })).toEqual([]);
    expect(roleWarnings({ ...base, TRAINER_HOST: "127.0.0.1", TRAINER_PUBLIC_URL: "http://10.0.0.5:4100" })).toEqual([]);
  });

  it("warns a web machine on a shared database without NEXTAUTH_URL or TRAINER_RPC_KEY", () => {
    const web = { ARBITER_ROLE: "web" as const, DATABASE_URL: "postgres://db/a", NEXTAUTH_SECRET: key, TRAINER_RPC_KEY: undefined, TRAINER_PUBLIC_URL: undefined, TRAINER_HOST: "127.0.0.1" };
    expect(roleWarnings({ ...web, NEXTAUTH_URL: undefined }).join()).toMatch(/NEXTAUTH_URL is not set/);
    expect(roleWarnings({ ...web, NEXTAUTH_URL: "https://arbiter.example.org" }).join()).toMatch(/TRAINER_RPC_KEY is not set/);
    expect(roleWarnings({ ...web, NEXTAUTH_URL: "https://arbiter.example.org", TRAINER_RPC_KEY: key })).toEqual([]);
  });

  it("waits for the web process at its own address, not NEXTAUTH_URL's", () => {
    expect(localWebUrl("0.0.0.0", 3000)).toBe("http://127.0.0.1:3000");
    expect(localWebUrl("::", 3001)).toBe("http://[::1]:3001");
    expect(localWebUrl("127.0.0.1", 3002)).toBe("http://127.0.0.1:3002");
    expect(localWebUrl("10.0.0.5", 3003)).toBe("http://10.0.0.5:3003");
    expect(localWebUrl("fd00::5", 3004)).toBe("http://[fd00::5]:3004");
  });
});
