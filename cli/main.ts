// `arbiter` command line (API.md, "Command line"), against the database `npm start` uses.
import { parseArgs } from "node:util";
import { createApiToken } from "@/lib/auth/api-tokens";
import { closeDb } from "@/lib/db/client";
import { runMigrations } from "@/lib/db/migrate";
import { openDatabase } from "@/lib/db/open-database";
import { ORACLES, runSimulation, type Oracle } from "@/lib/sim/simulated-annotators";
import { createUser, getUserByEmail } from "@/lib/users/users";

const USAGE = `usage:
  arbiter user add --email E --role admin|annotator [--password P] [--name N]
  arbiter token create --email E [--name N]
  arbiter migrate
  arbiter sim --url U --token T --project ID --annotators N [--noise X] [--oracle length|random|source-order|number-words] [--seed S]`;

class UsageError extends Error {}

function flags(args: string[], spec: Record<string, { type: "string" }>) {
  try {
    return parseArgs({ args, options: spec, strict: true, allowPositionals: false }).values as Record<string, string | undefined>;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

function required(values: Record<string, string | undefined>, name: string): string {
  const v = values[name];
  if (!v) throw new UsageError(`--${name} is required`);
  return v;
}

async function userAdd(args: string[]): Promise<void> {
  const v = flags(args, { email: { type: "string" }, role: { type: "string" }, password: { type: "string" }, name: { type: "string" } });
  const role = required(v, "role");
  if (role !== "admin" && role !== "annotator") throw new UsageError("--role must be admin or annotator");
  const { user, generatedPassword } = await createUser({ email: required(v, "email"), role, password: v.password, name: v.name });
  console.log(`created ${user.role} ${user.email} (${user.id})`);
  if (generatedPassword) console.log(`password: ${generatedPassword}`);
}

async function tokenCreate(args: string[]): Promise<void> {
  const v = flags(args, { email: { type: "string" }, name: { type: "string" } });
  const email = required(v, "email");
  const user = await getUserByEmail(email);
  if (!user) throw new UsageError(`no user with email ${email}`);
  if (user.disabledAt) throw new UsageError(`${email} is disabled`);
  const { token } = await createApiToken(user.id, v.name ?? "cli");
  // The token alone on stdout so scripts can capture it: TOKEN=$(npx arbiter token create ...)
  console.log(token);
  console.error(`token for ${user.email} (${user.role}); it is shown once and stored hashed`);
}

/**
 * Simulated annotators: N accounts (sim-<project>-<i>@arbiter.sim) with their own tokens,
 * made members of the project through the API with the admin token T, then judging over
 * HTTP until nothing is left for them.
 */
async function sim(args: string[]): Promise<void> {
  const v = flags(args, {
    url: { type: "string" },
    token: { type: "string" },
    project: { type: "string" },
    annotators: { type: "string" },
    noise: { type: "string" },
    oracle: { type: "string" },
    seed: { type: "string" },
  });
  const url = required(v, "url").replace(/\/$/, "");
  const adminToken = required(v, "token");
  const projectId = required(v, "project");
  const n = Number(required(v, "annotators"));
  const noise = Number(v.noise ?? "0.1");
  const oracle = (v.oracle ?? "length") as Oracle;
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError("--annotators must be 1..1000");
  if (!(noise >= 0 && noise <= 1)) throw new UsageError("--noise must be between 0 and 1");
  if (!ORACLES.includes(oracle)) throw new UsageError(`--oracle must be one of ${ORACLES.join(", ")}`);
  const tokens: string[] = [];
  const emails: string[] = [];
  for (let i = 0; i < n; i++) {
    const email = `sim-${projectId.slice(0, 8)}-${i}@arbiter.sim`;
    const user = (await getUserByEmail(email)) ?? (await createUser({ email, role: "annotator", name: `Simulated ${i}` })).user;
    tokens.push((await createApiToken(user.id, "sim")).token);
    emails.push(email);
  }
  const res = await fetch(`${url}/api/v1/projects/${projectId}/members`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ emails }),
  });
  if (!res.ok) throw new Error(`adding members: ${res.status} ${await res.text()}`);
  const started = Date.now();
  const result = await runSimulation({ url, projectId, tokens, oracle, noise, seed: v.seed ? Number(v.seed) : undefined, log: (l) => console.error(l) });
  console.log(`${result.judgments} judgments by ${n} simulated annotators in ${((Date.now() - started) / 1000).toFixed(1)} s (${result.errors} refused)`);
}

async function main(argv: string[]): Promise<number> {
  const [group, action, ...rest] = argv;
  const command =
    group === "user" && action === "add"
      ? () => userAdd(rest)
      : group === "token" && action === "create"
        ? () => tokenCreate(rest)
        : group === "migrate"
          ? async () => console.log("migrations applied")
          : group === "sim"
            ? () => sim([action, ...rest].filter((x): x is string => x !== undefined))
            : undefined;
  if (!command) {
    console.error(group ? `unknown command: ${argv.join(" ")}\n${USAGE}` : USAGE);
    return 2;
  }
  const database = await openDatabase();
  process.env.DATABASE_URL = database.url;
  try {
    await runMigrations(database.url);
    await command();
    return 0;
  } finally {
    await closeDb();
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof UsageError ? `${err.message}\n${USAGE}` : `error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
