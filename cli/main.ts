// `arbiter` command line (API.md, "Command line"), against the database `npm start` uses.
import { parseArgs } from "node:util";
import { createReadStream } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { backupCommand, projectExportCommand, projectImportCommand, restoreCommand } from "./backup-commands";
import { CommandUsageError, exportRunCommand, modelRegisterCommand } from "./training-commands";
import { importExternalPolicy } from "@/lib/import/external-policy";
import { DATASETS, type DatasetName } from "@/lib/import/datasets/names";
import { FILE_FORMATS, type FileFormat } from "@/lib/import/file-values";
import { importFile } from "@/lib/import/import-file";
import { getProject } from "@/lib/projects/projects";
import { createApiToken, DEFAULT_TOKEN_DAYS, listApiTokens, revokeApiToken } from "@/lib/auth/api-tokens";
import { closeDb } from "@/lib/db/client";
import { runMigrations } from "@/lib/db/migrate";
import { openDatabase } from "@/lib/db/open-database";
import { ORACLES, runSimulation, type Oracle } from "@/lib/sim/simulated-annotators";
import { resetPassword } from "@/lib/users/passwords";
import { createUser, getUserByEmail } from "@/lib/users/users";

const USAGE = `usage:
  arbiter user add --email E --role admin|annotator [--password P] [--name N]
  arbiter user reset-password --email E [--password P]
  arbiter token create --email E [--name N] [--expires-days D]
  arbiter token list --email E
  arbiter token revoke --id ID
  arbiter migrate
  arbiter backup FILE [--no-artifacts]
  arbiter restore FILE
  arbiter project export --project ID --file F [--artifacts]
  arbiter project import --file F
  arbiter import --project ID --file F [--format ndjson|csv|parquet] [--dataset NAME] [--on-invalid fail|skip] [--dry-run]
  arbiter import --project ID --file F --external-policy
  arbiter export-run --project ID --engine openrlhf|trl --out DIR [--style standard|conversational]
  arbiter model register --project ID --kind base|policy --dir PATH [--name N]
  arbiter sim --url U --token T --project ID --annotators N [--noise X] [--oracle length|random|source-order|number-words] [--seed S]`;

/** A wrong or missing argument: the usage is printed and the exit code is 2. */
class UsageError extends CommandUsageError {}

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

async function existingUser(email: string) {
  const user = await getUserByEmail(email);
  if (!user) throw new UsageError(`no user with email ${email}`);
  return user;
}

/** An admin locked out (or any user) gets a new password; their sessions end and their API tokens are revoked. */
async function userResetPassword(args: string[]): Promise<void> {
  const v = flags(args, { email: { type: "string" }, password: { type: "string" } });
  const user = await existingUser(required(v, "email"));
  const { generatedPassword } = await resetPassword(user.id, { password: v.password });
  console.log(`password of ${user.email} changed; their sessions are ended and their API tokens revoked`);
  if (generatedPassword) console.log(`password: ${generatedPassword}`);
}

async function tokenCreate(args: string[]): Promise<void> {
  const v = flags(args, { email: { type: "string" }, name: { type: "string" }, "expires-days": { type: "string" } });
  const user = await existingUser(required(v, "email"));
  if (user.disabledAt) throw new UsageError(`${user.email} is disabled`);
  const days = v["expires-days"] === undefined ? DEFAULT_TOKEN_DAYS : Number(v["expires-days"]);
  if (!Number.isInteger(days) || days < 1 || days > 365) throw new UsageError("--expires-days must be a whole number of days, 1..365");
  const { token, expiresAt } = await createApiToken(user.id, v.name ?? "cli", { expiresInDays: days });
  // The token alone on stdout so scripts can capture it: TOKEN=$(npx arbiter token create ...)
  console.log(token);
  console.error(`token for ${user.email} (${user.role}), valid until ${expiresAt.toISOString()}; it is shown once and stored hashed`);
}

async function tokenList(args: string[]): Promise<void> {
  const v = flags(args, { email: { type: "string" } });
  const user = await existingUser(required(v, "email"));
  for (const t of await listApiTokens(user.id)) {
    console.log([t.id, t.prefix, t.status, t.name, `created ${t.createdAt}`, `expires ${t.expiresAt}`, `last used ${t.lastUsedAt ?? "never"}`].join("\t"));
  }
}

/** Every web process refuses the token from its next request on (lib/cache/access-cache.ts). */
async function tokenRevoke(args: string[]): Promise<void> {
  const v = flags(args, { id: { type: "string" } });
  const id = required(v, "id");
  if (!(await revokeApiToken(id))) throw new UsageError(`no token with id ${id}`);
  console.log(`token ${id} revoked`);
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

/**
 * A file (NDJSON, CSV or Parquet, gzipped or not; any dataset the HTTP import reads) into a
 * project. Prints the import's answer as JSON; exits 1 when invalid lines stopped it.
 */
async function importCommand(args: string[]): Promise<void> {
  let v: Record<string, string | boolean | undefined>;
  try {
    v = parseArgs({
      args,
      options: {
        project: { type: "string" },
        file: { type: "string" },
        format: { type: "string" },
        dataset: { type: "string" },
        "on-invalid": { type: "string" },
        "dry-run": { type: "boolean" },
        "external-policy": { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const text = (name: string) => (typeof v[name] === "string" ? (v[name] as string) : undefined);
  const oneOf = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const value = text(name);
    if (value !== undefined && !allowed.includes(value as T)) throw new UsageError(`--${name} must be one of ${allowed.join(", ")}`);
    return value as T | undefined;
  };
  const project = await getProject(required({ project: text("project") }, "project"));
  if (!project) throw new UsageError(`no project with id ${text("project")}`);
  if (v["external-policy"] === true) {
    if (v.format !== undefined || v.dataset !== undefined || v["on-invalid"] !== undefined || v["dry-run"] !== undefined) {
      throw new UsageError("--external-policy reads NDJSON {prompt, completion} lines, all or nothing: --format, --dataset, --on-invalid and --dry-run do not apply");
    }
    const file = required({ file: text("file") }, "file");
    const result = await importExternalPolicy(project, Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>, { maxBytes: Number.MAX_SAFE_INTEGER, record: { userId: null, fileName: path.basename(file) } });
    console.log(JSON.stringify(result, null, 2));
    if (!result.committed) throw new Error(`${result.errors.length} invalid line(s): nothing imported`);
    return;
  }
  let last = 0;
  const result = await importFile(project, required({ file: text("file") }, "file"), {
    format: oneOf<FileFormat>("format", FILE_FORMATS),
    dataset: oneOf<DatasetName>("dataset", DATASETS),
    onInvalid: oneOf("on-invalid", ["fail", "skip"] as const),
    dryRun: v["dry-run"] === true,
    onProgress: (p) => {
      if (Date.now() - last < 2000) return;
      last = Date.now();
      console.error(`${(p.bytes / 1e6).toFixed(1)} MB read, ${p.records} records, ${p.invalid} invalid`);
    },
  });
  console.log(JSON.stringify(result, null, 2));
  if (result.errorCount > 0) throw new Error(`${result.errorCount} invalid line(s): nothing imported (--on-invalid skip imports the valid records)`);
}

/** Each command and the function that runs it with the arguments after its name. */
const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  "user add": userAdd,
  "user reset-password": userResetPassword,
  "token create": tokenCreate,
  "token list": tokenList,
  "token revoke": tokenRevoke,
  migrate: async () => console.log("migrations applied"),
  backup: backupCommand,
  restore: restoreCommand,
  "project export": projectExportCommand,
  "project import": projectImportCommand,
  import: importCommand,
  "export-run": exportRunCommand,
  "model register": modelRegisterCommand,
  sim,
};

async function main(argv: string[]): Promise<number> {
  const [group, action, ...rest] = argv;
  const twoWords = `${group} ${action}`;
  const command = Object.hasOwn(COMMANDS, twoWords)
    ? () => COMMANDS[twoWords]!(rest)
    : group && Object.hasOwn(COMMANDS, group) && !group.includes(" ")
      ? () => COMMANDS[group]!(argv.slice(1))
      : undefined;
  if (!command) {
    console.error(group ? `unknown command: ${argv.join(" ")}\n${USAGE}` : USAGE);
    return 2;
  }
  const database = await openDatabase();
  process.env.DATABASE_URL = database.url;
  try {
    // a backup is taken at the level the data is at; a restore builds the schema itself
    if (group !== "backup" && group !== "restore") await runMigrations(database.url);
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
    console.error(err instanceof CommandUsageError ? `${err.message}\n${USAGE}` : `error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof CommandUsageError ? 2 : 1);
  },
);
