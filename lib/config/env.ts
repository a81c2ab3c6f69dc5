// Environment, validated once at start (create-t3-app style): a typo in a variable fails
// loudly here instead of deep inside a request.
import { z } from "zod";
import { parseTrustedProxies } from "@/lib/auth/client-address";

function isAddressList(value: string | undefined): boolean {
  try {
    parseTrustedProxies(value);
    return true;
  } catch {
    return false;
  }
}

/** Shortest NEXTAUTH_SECRET (in production) and TRAINER_RPC_KEY: 32 characters, which a random key of 24 bytes or more in base64 has. */
export const MIN_SECRET_LENGTH = 32;

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const envSchema = z.object({
  DATABASE_URL: optionalString,
  /** what `npm start` runs on this machine: the web app, the trainer, or both (scripts/start-role.ts) */
  ARBITER_ROLE: z.enum(["web", "trainer", "all"]).default("all"),
  ARBITER_DATA_DIR: z.string().default(".data"),
  /** extra server settings for the embedded PostgreSQL, "key=value,key=value" */
  EMBEDDED_PG_SETTINGS: optionalString,
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().default("127.0.0.1"),
  NEXTAUTH_URL: optionalString,
  NODE_ENV: optionalString,
  /** signs sessions; at least MIN_SECRET_LENGTH characters when NODE_ENV is production (npm start generates one) */
  NEXTAUTH_SECRET: optionalString,
  /** the key of the web app's requests to the trainer (lib/models/internal-auth.ts); default: derived from NEXTAUTH_SECRET */
  TRAINER_RPC_KEY: optionalString.refine((v) => v === undefined || v.length >= MIN_SECRET_LENGTH, `TRAINER_RPC_KEY must have at least ${MIN_SECRET_LENGTH} characters`),
  ADMIN_EMAIL: optionalString,
  ADMIN_PASSWORD: optionalString,
  GITHUB_ID: optionalString,
  GITHUB_SECRET: optionalString,
  OIDC_ISSUER: optionalString,
  OIDC_CLIENT_ID: optionalString,
  OIDC_CLIENT_SECRET: optionalString,
  OIDC_NAME: z.string().default("SSO"),
  OAUTH_SIGNUP_ROLE: z.enum(["none", "annotator"]).default("none"),
  SIGNIN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
  SIGNIN_WINDOW_MINUTES: z.coerce.number().int().min(1).default(15),
  /** reverse proxies whose X-Forwarded-For the sign-in limiter believes (lib/auth/client-address.ts): addresses and CIDR ranges, comma separated */
  TRUSTED_PROXIES: optionalString.refine(isAddressList, "TRUSTED_PROXIES must be addresses or CIDR ranges, comma separated"),
  ARBITER_TF_BACKEND: z.enum(["auto", "tensorflow-gpu", "tensorflow", "wasm", "cpu"]).default("auto"),
  IMPORT_MAX_BYTES: z.coerce.number().int().min(1024).default(256 * 1024 * 1024),
  /** largest gzipped Parquet import once unpacked, as spooled to a temporary file (gzipped NDJSON and CSV are streamed, up to 16 × IMPORT_MAX_BYTES); default: twice IMPORT_MAX_BYTES */
  IMPORT_MAX_DECOMPRESSED_BYTES: z.coerce.number().int().min(1024).optional(),
  /** estimated memory one read of a Parquet import may take (metadata, a row group's slice of rows); more is refused, never attempted */
  IMPORT_PARQUET_MEMORY_BYTES: z.coerce.number().int().min(1024 * 1024).default(128 * 1024 * 1024),
  /** longest import line (NDJSON record, CSV row); a longer one is an error on that line */
  IMPORT_LINE_MAX_BYTES: z.coerce.number().int().min(1024).default(8 * 1024 * 1024),
  /** largest JSON request body; the read stops there and answers 413 */
  JSON_BODY_MAX_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  TRAINER_HEARTBEAT_MS: z.coerce.number().int().min(100).default(5000),
  /** a trainer silent this long is not alive (health) and its running round is failed by the other trainers' sweep; keep it several heartbeats long */
  TRAINER_STALE_MS: z.coerce.number().int().min(1000).default(30_000),
  /** how often each trainer sweeps for rounds whose trainer stopped (trainer/rounds/orphaned-rounds.ts) */
  ARBITER_ORPHAN_SWEEP_MS: z.coerce.number().int().min(100).default(60_000),
  // The trainer's scoring server (reward scores for the web app); port 0 = any free port.
  TRAINER_HOST: z.string().default("127.0.0.1"),
  TRAINER_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** the URL the web app reaches this trainer's server at; default: from TRAINER_HOST, or this machine's first network address when that is 0.0.0.0 or :: */
  TRAINER_PUBLIC_URL: optionalString.pipe(z.url().optional()),
  /** the web process's initial old generation in MB (scripts/web-heap.ts); 0: V8's default */
  ARBITER_WEB_OLD_SPACE_MB: z.coerce.number().int().min(0).default(512),
  /** how often npm start's supervisor asks the web app's /api/health (scripts/supervisor.ts); 0: never (a hung web app is then not noticed) */
  ARBITER_WEB_HEALTH_INTERVAL_MS: z.coerce.number().int().min(0).default(5_000),
  /** how long one of those checks waits for an answer (any status) */
  ARBITER_WEB_HEALTH_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  /** checks in a row without an answer after which the web app is taken as hung, killed (SIGKILL) and restarted */
  ARBITER_WEB_HEALTH_FAILURES: z.coerce.number().int().min(1).default(3),
  /** submits coalesced into one transaction at most (lib/judgments/submit-queue.ts); 1: each alone */
  ARBITER_SUBMIT_BATCH: z.coerce.number().int().min(1).max(256).default(32),
  /** submit calls in PostgreSQL at once per web process; default: half the CPU cores, at least 1 */
  ARBITER_SUBMIT_IN_FLIGHT: z.coerce.number().int().min(1).optional(),
  /** how often each trainer starts the rounds projects' thresholds call for (lib/rounds/auto-trigger.ts); 0: never */
  ARBITER_AUTO_ROUND_INTERVAL_MS: z.coerce.number().int().min(0).default(5000),
  /** longest wait for a database connection, new or from the pool (lib/db/client.ts); then the request fails with 503 */
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** longest statement on the pooled connections that serve requests; 0: none */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  /** longest statement on the connections of long work (imports, exports, backups, the trainer); 0: none */
  DB_LONG_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(0),
  /** how often each LISTEN connection (access caches, round events) runs a check that must answer within the same time, else it is taken as lost (lib/db/listen-check.ts) */
  DB_LISTEN_CHECK_MS: z.coerce.number().int().min(50).default(10_000),
  /** submits waiting or in flight per web process (lib/judgments/submit-queue.ts) beyond which a submit is answered 503 with Retry-After */
  ARBITER_SUBMIT_QUEUE_MAX: z.coerce.number().int().min(1).default(1024),
  /** live round-event streams (GET /rounds/:id/events) open at once per web process; the next gets 503 */
  ARBITER_EVENT_STREAMS_MAX: z.coerce.number().int().min(1).default(100),
  /** imports running at once per web process, each on a connection of its own; the next gets 503 */
  IMPORT_CONCURRENCY: z.coerce.number().int().min(1).default(2),
  /** exports (downloads, previews, dataset cards) running at once per web process, each on a connection of its own; the next gets 503 */
  EXPORT_CONCURRENCY: z.coerce.number().int().min(1).default(2),
}).refine((e) => e.NODE_ENV !== "production" || e.NEXTAUTH_SECRET === undefined || e.NEXTAUTH_SECRET.length >= MIN_SECRET_LENGTH, {
  path: ["NEXTAUTH_SECRET"],
  message: `NEXTAUTH_SECRET must have at least ${MIN_SECRET_LENGTH} characters in production (unset, npm start generates one; or: openssl rand -base64 32)`,
});

export type Env = z.infer<typeof envSchema>;

let cached: Env | undefined;

/** The settings in `source`, validated; throws naming every invalid variable. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

export function env(): Env {
  return (cached ??= parseEnv(process.env));
}
