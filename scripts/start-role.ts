// ARBITER_ROLE for `npm start`: which processes this machine runs, and what it must be
// given explicitly so that it agrees with the other machines on the same database.
import type { Env } from "@/lib/config/env";

export type Role = Env["ARBITER_ROLE"];

export const runsWeb = (role: Role): boolean => role !== "trainer";
export const runsTrainer = (role: Role): boolean => role !== "web";

type RoleSettings = Pick<Env, "ARBITER_ROLE" | "DATABASE_URL" | "NEXTAUTH_SECRET" | "TRAINER_RPC_KEY">;

/**
 * Why this start must stop before opening anything, or null. With DATABASE_URL and a role
 * other than all, other machines share the database: a secret generated into this
 * machine's data folder would differ from theirs (sessions signed by one web process
 * refused by another; the web app's requests refused by the trainers).
 */
export function sharedSecretProblem(config: RoleSettings): string | null {
  if (!config.DATABASE_URL || config.ARBITER_ROLE === "all") return null;
  if (config.ARBITER_ROLE === "web" && !config.NEXTAUTH_SECRET) {
    return "ARBITER_ROLE=web with DATABASE_URL needs NEXTAUTH_SECRET set, the same on every web machine (a generated one would be this machine's alone): openssl rand -base64 32";
  }
  if (config.ARBITER_ROLE === "trainer" && !config.TRAINER_RPC_KEY && !config.NEXTAUTH_SECRET) {
    return "ARBITER_ROLE=trainer with DATABASE_URL needs TRAINER_RPC_KEY set, the same key the web machines use (set TRAINER_RPC_KEY there too, or the trainer cannot check their requests): openssl rand -base64 32";
  }
  return null;
}

/**
 * Where this machine reaches the web process it starts, for the health wait: not
 * NEXTAUTH_URL, which behind a balancer is the balancer's address (a container or a machine
 * may not reach it, and it would report another process's health).
 */
export function localWebUrl(host: string, port: number): string {
  if (host === "0.0.0.0" || host === "") return `http://127.0.0.1:${port}`;
  if (host === "::" || host === "[::]") return `http://[::1]:${port}`;
  return `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}`;
}

type WarningSettings = RoleSettings & Pick<Env, "TRAINER_HOST" | "TRAINER_PUBLIC_URL" | "NEXTAUTH_URL">;

/** What is allowed but probably not meant, to say on the console. */
export function roleWarnings(config: WarningSettings): string[] {
  const warnings: string[] = [];
  if (!config.DATABASE_URL) return warnings;
  if (config.ARBITER_ROLE === "all" && !config.NEXTAUTH_SECRET) {
    warnings.push("NEXTAUTH_SECRET is not set: the generated one is this machine's alone; set it (the same everywhere) before another machine runs Arbiter on this database");
  }
  if (config.ARBITER_ROLE === "web" && config.NEXTAUTH_SECRET && !config.TRAINER_RPC_KEY) {
    warnings.push("TRAINER_RPC_KEY is not set: trainer requests are signed with a key derived from NEXTAUTH_SECRET, which trainers on other machines do not know; set the same TRAINER_RPC_KEY here and on every trainer");
  }
  if (config.ARBITER_ROLE === "web" && !config.NEXTAUTH_URL) {
    warnings.push("NEXTAUTH_URL is not set: behind a load balancer set it to the balancer's address (links, OAuth callbacks and the origin check of browser requests use it)");
  }
  const loopback = /^(127\.|localhost$|::1$)/.test(config.TRAINER_HOST);
  if (config.ARBITER_ROLE === "trainer" && loopback && !config.TRAINER_PUBLIC_URL) {
    warnings.push(`the trainer's scoring server listens on ${config.TRAINER_HOST}: web processes on other machines cannot reach it (set TRAINER_HOST=0.0.0.0, or TRAINER_PUBLIC_URL)`);
  }
  return warnings;
}
