// The whole domain in one schema (DESIGN.md, "Words"). drizzle-kit generates the SQL in
// drizzle/ from this file; never edit the database by hand or with `db push`.
import { sql, type InferInsertModel, type InferSelectModel } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  real,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();

// ---------------------------------------------------------------- people and access

export const userRole = pgEnum("user_role", ["admin", "annotator"]);
export type UserRole = (typeof userRole.enumValues)[number];

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    email: text("email").notNull(), // stored lower-cased
    name: text("name"),
    role: userRole("role").notNull().default("annotator"),
    passwordHash: text("password_hash"), // argon2id; null for SSO-only users
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
    // Carried in every session's JWT and compared on each request: raising it (disabling,
    // a password change, "sign out everywhere") ends every session signed in before.
    sessionVersion: integer("session_version").notNull().default(0),
    lastLoginAt: timestamp("last_login_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("users_email_key").on(t.email), check("users_email_lower", sql`${t.email} = lower(${t.email})`)],
);
export type User = InferSelectModel<typeof users>;
export type NewUser = InferInsertModel<typeof users>;

/**
 * Links a user to an OAuth / OIDC identity (GitHub, company SSO), made once at the first
 * sign-in with a verified email; later sign-ins match on (provider, subject) only.
 */
export const oauthAccounts = pgTable(
  "oauth_accounts",
  {
    provider: text("provider").notNull(),
    providerAccountId: text("provider_account_id").notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.provider, t.providerAccountId] }),
    index("oauth_accounts_user_idx").on(t.userId),
    // One identity per provider and user: a second subject claiming a linked user's email is refused.
    uniqueIndex("oauth_accounts_provider_user_key").on(t.provider, t.userId),
  ],
);

/** One-time invitation links; only the hash of the secret is stored. */
export const invites = pgTable(
  "invites",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tokenHash: text("token_hash").notNull(),
    email: text("email").notNull(),
    role: userRole("role").notNull().default("annotator"),
    createdBy: uuid("created_by")
      .notNull()
      .references(() => users.id),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    acceptedAt: timestamp("accepted_at", { withTimezone: true }),
    acceptedBy: uuid("accepted_by").references(() => users.id),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("invites_token_hash_key").on(t.tokenHash), index("invites_email_idx").on(t.email)],
);
export type Invite = InferSelectModel<typeof invites>;

/** Bearer tokens for scripts and SDKs; the token itself is shown once and stored hashed. */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    tokenHash: text("token_hash").notNull(),
    prefix: text("prefix").notNull(), // first characters, to tell tokens apart in lists
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }), // updated at most once a minute
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    // Chosen at creation (lib/auth/api-tokens.ts, 90 days by default); the default here
    // only dates tokens made before expiry existed.
    expiresAt: timestamp("expires_at", { withTimezone: true })
      .notNull()
      .default(sql`now() + interval '90 days'`),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("api_tokens_hash_key").on(t.tokenHash), index("api_tokens_user_idx").on(t.userId)],
);
export type ApiToken = InferSelectModel<typeof apiTokens>;

/**
 * Password sign-in attempts that have not succeeded, for the limiter
 * (lib/auth/sign-in-limit.ts): written before the password is checked, removed when it
 * was right. Shared by every web instance through the database.
 */
export const signInFailures = pgTable(
  "sign_in_failures",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    email: text("email").notNull(),
    ip: text("ip").notNull(), // the client's address (lib/auth/client-address.ts), or "unknown"
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("sign_in_failures_email_ip_at_idx").on(t.email, t.ip, t.at), // the (email, address) lockout
    index("sign_in_failures_ip_at_idx").on(t.ip, t.at), // one address across many emails
    index("sign_in_failures_at_idx").on(t.at), // pruning old rows
  ],
);

// ---------------------------------------------------------------- projects and data

export const projectMode = pgEnum("project_mode", ["pairwise", "kwise"]);
export type ProjectMode = (typeof projectMode.enumValues)[number];

export const projects = pgTable(
  "projects",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    instructions: text("instructions").notNull().default(""),
    mode: projectMode("mode").notNull().default("pairwise"),
    k: smallint("k").notNull().default(2), // responses per comparison: 2 for pairwise, 3..9 k-wise
    redundancy: smallint("redundancy").notNull().default(1), // judgments wanted per comparison
    criteria: jsonb("criteria").$type<string[]>().notNull().default([]),
    allowTies: boolean("allow_ties").notNull().default(true),
    requireRationale: boolean("require_rationale").notNull().default(false),
    goldRate: real("gold_rate").notNull().default(0), // share of tasks drawn from gold comparisons
    leaseSeconds: integer("lease_seconds").notNull().default(600),
    roundThreshold: integer("round_threshold"), // new judgments that start a round by themselves; null = never
    roundSettings: jsonb("round_settings").$type<Record<string, unknown>>().notNull().default({}),
    // Annotators below this bar are flagged (lib/quality/project-agreement.ts); unset fields use the defaults.
    qualityBar: jsonb("quality_bar").$type<{ minMajorityAgreement?: number; minGoldAccuracy?: number; minEvidence?: number }>().notNull().default({}),
    createdBy: uuid("created_by").references(() => users.id),
    archivedAt: timestamp("archived_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check("projects_k_range", sql`${t.k} between 2 and 9`),
    check("projects_mode_k", sql`(${t.mode} = 'pairwise') = (${t.k} = 2)`),
    check("projects_redundancy_positive", sql`${t.redundancy} >= 1`),
    check("projects_gold_rate_range", sql`${t.goldRate} >= 0 and ${t.goldRate} <= 1`),
  ],
);
export type Project = InferSelectModel<typeof projects>;

export const projectMembers = pgTable(
  "project_members",
  {
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    groupName: text("group_name"), // for reserving comparisons to a group
    // Quality exclusion: judgments stay in the database but leave training, leaderboards, exports.
    excludedAt: timestamp("excluded_at", { withTimezone: true }),
    // Removed from the project (lib/projects/remove-member.ts): no access any more, while the
    // row keeps the exclusion that applies to the judgments they left; adding them again clears it.
    removedAt: timestamp("removed_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] }), index("project_members_user_idx").on(t.userId)],
);

export type Message = { role: "system" | "user" | "assistant"; content: string };

export const prompts = pgTable(
  "prompts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    messages: jsonb("messages").$type<Message[]>().notNull(),
    contentHash: text("content_hash").notNull(), // re-importing the same prompt finds this row
    meta: jsonb("meta").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("prompts_project_hash_key").on(t.projectId, t.contentHash)],
);
export type Prompt = InferSelectModel<typeof prompts>;

export const responses = pgTable(
  "responses",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    promptId: uuid("prompt_id")
      .notNull()
      .references(() => prompts.id, { onDelete: "cascade" }),
    text: text("text").notNull(),
    source: text("source").notNull().default("unknown"), // external model name, or "policy@round-N"
    roundId: uuid("round_id").references((): AnyPgColumn => rounds.id, { onDelete: "set null" }),
    contentHash: text("content_hash").notNull(),
    // Scores the imported dataset gave this response, by name (UltraFeedback's aspect
    // ratings, HelpSteer2's attributes, oasst1's labels); null when it came without any.
    ratings: jsonb("ratings").$type<Record<string, number>>(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("responses_prompt_source_hash_key").on(t.promptId, t.source, t.contentHash),
    index("responses_source_idx").on(t.source),
  ],
);
export type Response = InferSelectModel<typeof responses>;

/**
 * Demonstrations for supervised fine-tuning (Ouyang et al. 2022, step 1): a completion a
 * person (or a trusted model) wrote for a prompt. Imported as `{prompt, completion}`
 * records; the SFT phase trains on them. Never shown to annotators.
 */
export const demonstrations = pgTable(
  "demonstrations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    promptId: uuid("prompt_id")
      .notNull()
      .references(() => prompts.id, { onDelete: "cascade" }),
    completion: text("completion").notNull(),
    source: text("source").notNull().default("unknown"),
    contentHash: text("content_hash").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("demonstrations_prompt_hash_key").on(t.promptId, t.contentHash),
    index("demonstrations_project_idx").on(t.projectId),
  ],
);
export type Demonstration = InferSelectModel<typeof demonstrations>;

export const comparisons = pgTable(
  "comparisons",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    promptId: uuid("prompt_id")
      .notNull()
      .references(() => prompts.id, { onDelete: "cascade" }),
    size: smallint("size").notNull(),
    // Sorted response ids joined: the same set of responses forms one comparison per project,
    // so re-importing a record does not duplicate it.
    responseKey: text("response_key").notNull(),
    required: smallint("required").notNull(), // judgments wanted (the project's redundancy when made)
    judgmentCount: smallint("judgment_count").notNull().default(0), // kept in the judgment's transaction
    isGold: boolean("is_gold").notNull().default(false),
    goldRanking: jsonb("gold_ranking").$type<string[][]>(), // known answer as tie groups of response ids
    reservedForUser: uuid("reserved_for_user").references(() => users.id, { onDelete: "set null" }),
    reservedForGroup: text("reserved_for_group"),
    roundId: uuid("round_id").references((): AnyPgColumn => rounds.id, { onDelete: "set null" }),
    // A hint for the assignment scan (drizzle/0006): every open slot is leased until at
    // least this time, so the scan passes the row without counting its leases. Set under
    // the row lock by the lease that fills the last slot; cleared when a slot is freed
    // early (a skip, a raised redundancy); null or past means "count them".
    slotsLeasedUntil: timestamp("slots_leased_until", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    check("comparisons_size_range", sql`${t.size} between 2 and 9`),
    check("comparisons_gold_has_answer", sql`not ${t.isGold} or ${t.goldRanking} is not null`),
    // The assignment query: open comparisons of a project, fewest judgments first.
    index("comparisons_open_idx")
      .on(t.projectId, t.judgmentCount.desc(), t.createdAt)
      .where(sql`${t.judgmentCount} < ${t.required}`),
    index("comparisons_reserved_idx")
      .on(t.projectId)
      .where(sql`${t.reservedForUser} is not null or ${t.reservedForGroup} is not null`),
    index("comparisons_prompt_idx").on(t.promptId),
    uniqueIndex("comparisons_project_response_key").on(t.projectId, t.responseKey),
    index("comparisons_gold_idx").on(t.projectId).where(sql`${t.isGold}`),
  ],
);
export type Comparison = InferSelectModel<typeof comparisons>;

export const comparisonResponses = pgTable(
  "comparison_responses",
  {
    comparisonId: uuid("comparison_id")
      .notNull()
      .references(() => comparisons.id, { onDelete: "cascade" }),
    responseId: uuid("response_id")
      .notNull()
      .references(() => responses.id, { onDelete: "cascade" }),
    position: smallint("position").notNull(), // canonical order; the shown order is per annotator
  },
  (t) => [
    primaryKey({ columns: [t.comparisonId, t.responseId] }),
    uniqueIndex("comparison_responses_position_key").on(t.comparisonId, t.position),
    index("comparison_responses_response_idx").on(t.responseId),
  ],
);

export const judgmentOrigin = pgEnum("judgment_origin", ["human", "imported", "simulated"]);

export const judgments = pgTable(
  "judgments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    clientId: uuid("client_id").notNull(), // idempotency key chosen by the client (API.md)
    comparisonId: uuid("comparison_id")
      .notNull()
      .references(() => comparisons.id, { onDelete: "cascade" }),
    projectId: uuid("project_id") // denormalised: exports and metrics scan by project and time
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    annotatorId: uuid("annotator_id")
      .notNull()
      .references(() => users.id),
    origin: judgmentOrigin("origin").notNull().default("human"),
    ranking: jsonb("ranking").$type<string[][]>().notNull(), // tie groups of response ids, best first
    strength: smallint("strength"), // pairwise: 1 slightly .. 3 much better
    bothBad: boolean("both_bad").notNull().default(false),
    criteria: jsonb("criteria").$type<Record<string, string[][]>>(),
    rationale: text("rationale"),
    shownOrder: jsonb("shown_order").$type<string[]>().notNull(), // response ids as displayed
    durationMs: integer("duration_ms"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("judgments_client_id_key").on(t.clientId),
    uniqueIndex("judgments_comparison_annotator_key").on(t.comparisonId, t.annotatorId),
    index("judgments_project_created_idx").on(t.projectId, t.createdAt),
    index("judgments_annotator_idx").on(t.annotatorId, t.createdAt),
    check("judgments_strength_range", sql`${t.strength} is null or ${t.strength} between 1 and 3`),
  ],
);
export type Judgment = InferSelectModel<typeof judgments>;

/** A comparison handed to an annotator and not yet judged; expired leases free the slot. */
export const taskLeases = pgTable(
  "task_leases",
  {
    comparisonId: uuid("comparison_id")
      .notNull()
      .references(() => comparisons.id, { onDelete: "cascade" }),
    annotatorId: uuid("annotator_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    shownOrder: jsonb("shown_order").$type<string[]>().notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.comparisonId, t.annotatorId] }),
    index("task_leases_annotator_idx").on(t.annotatorId, t.expiresAt),
  ],
);

/**
 * An undone judgment's clientId (lib/judgments/undo-and-skip.ts): a late replay of the
 * original submit (a retry still in flight, a proxy's resend) is answered as a duplicate
 * of the undone judgment instead of writing it again. Written in the undo's transaction.
 */
export const undoneJudgments = pgTable(
  "undone_judgments",
  {
    clientId: uuid("client_id").primaryKey(),
    judgmentId: uuid("judgment_id").notNull(),
    comparisonId: uuid("comparison_id")
      .notNull()
      .references(() => comparisons.id, { onDelete: "cascade" }),
    annotatorId: uuid("annotator_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    undoneAt: timestamp("undone_at", { withTimezone: true }).notNull().defaultNow(),
  },
);

export const skips = pgTable(
  "skips",
  {
    comparisonId: uuid("comparison_id")
      .notNull()
      .references(() => comparisons.id, { onDelete: "cascade" }),
    annotatorId: uuid("annotator_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    reason: text("reason"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.comparisonId, t.annotatorId] })],
);

/** Every dataset export: who, when, with which filters, how many rows, and the bytes' checksum. */
export const datasetExports = pgTable(
  "export_records",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    userId: uuid("user_id").references(() => users.id, { onDelete: "set null" }),
    format: text("format").notNull(),
    options: jsonb("options").$type<Record<string, unknown>>().notNull(),
    rows: integer("rows"),
    bytes: bigint("bytes", { mode: "number" }),
    sha256: text("sha256"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }), // null: the download was cut off
  },
  (t) => [index("export_records_project_idx").on(t.projectId, t.startedAt)],
);

/**
 * Every import that was not a dry run, committed or refused: who, when, which file (as
 * received: its name, bytes and SHA-256), how it was read and what it wrote.
 */
export const importRecords = pgTable(
  "import_records",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    userId: uuid("user_id").references(() => users.id, { onDelete: "set null" }), // null: the command line
    fileName: text("file_name"),
    format: text("format").notNull(), // ndjson | csv | parquet
    gzip: boolean("gzip").notNull().default(false),
    dataset: text("dataset"), // named or detected; null when no record told
    options: jsonb("options").$type<Record<string, unknown>>().notNull(), // onInvalid, dataset as asked
    bytes: bigint("bytes", { mode: "number" }).notNull(),
    sha256: text("sha256").notNull(),
    counts: jsonb("counts").$type<Record<string, number>>().notNull(), // the answer's `imported`
    validRecords: integer("valid_records").notNull(),
    invalidLines: integer("invalid_lines").notNull(),
    committed: boolean("committed").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("import_records_project_idx").on(t.projectId, t.startedAt)],
);
export type ImportRecordRow = InferSelectModel<typeof importRecords>;

// ---------------------------------------------------------------- training

export const roundStatus = pgEnum("round_status", ["queued", "running", "succeeded", "failed", "cancelled"]);
export const roundTrigger = pgEnum("round_trigger", ["admin", "threshold"]);

/** One trainer run: reward model → policy step → new responses → new comparisons. */
export const rounds = pgTable(
  "rounds",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    number: integer("number").notNull(), // 1, 2, ... within the project
    status: roundStatus("status").notNull().default("queued"),
    phase: text("phase"), // reward_model | policy | generate | compare, while running
    trigger: roundTrigger("trigger").notNull(),
    requestedBy: uuid("requested_by").references(() => users.id),
    config: jsonb("config").$type<Record<string, unknown>>().notNull().default({}),
    // Judgments created up to this instant are the ones this round trains on.
    judgmentWatermark: timestamp("judgment_watermark", { withTimezone: true }).notNull(),
    workerId: text("worker_id"),
    // An admin asked to stop it: a queued round is cancelled at once, a running one by its
    // trainer at the next step boundary (trainer/rounds/cancellation.ts).
    cancelRequestedAt: timestamp("cancel_requested_at", { withTimezone: true }),
    error: text("error"),
    createdAt: createdAt(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("rounds_project_number_key").on(t.projectId, t.number),
    // At most one queued or running round per project (API.md: 409 if one is running).
    uniqueIndex("rounds_one_active_per_project")
      .on(t.projectId)
      .where(sql`${t.status} in ('queued', 'running')`),
  ],
);
export type Round = InferSelectModel<typeof rounds>;

/** Metrics streamed by the trainer, e.g. name "reward/accuracy" or "objective/kl" at a step. */
export const roundMetrics = pgTable(
  "round_metrics",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    roundId: uuid("round_id")
      .notNull()
      .references(() => rounds.id, { onDelete: "cascade" }),
    phase: text("phase").notNull(),
    step: integer("step").notNull(),
    name: text("name").notNull(),
    value: doublePrecision("value").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("round_metrics_round_idx").on(t.roundId, t.id)],
);

export const artifactKind = pgEnum("artifact_kind", ["reward_model", "policy", "lora_adapter", "reference_policy", "sft"]);

/** A checkpoint on disk (config.json + model.safetensors) with what produced it. */
export const modelArtifacts = pgTable(
  "model_artifacts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    roundId: uuid("round_id").references(() => rounds.id, { onDelete: "set null" }),
    kind: artifactKind("kind").notNull(),
    path: text("path").notNull(), // relative to the checkpoint root
    config: jsonb("config").$type<Record<string, unknown>>().notNull().default({}),
    metrics: jsonb("metrics").$type<Record<string, number>>().notNull().default({}),
    judgmentWatermark: timestamp("judgment_watermark", { withTimezone: true }),
    sizeBytes: bigint("size_bytes", { mode: "number" }),
    sha256: text("sha256"),
    createdAt: createdAt(),
  },
  (t) => [index("model_artifacts_project_kind_idx").on(t.projectId, t.kind, t.createdAt)],
);
export type ModelArtifact = InferSelectModel<typeof modelArtifacts>;

/** Trainer processes report here; /api/health reads the freshest. */
export const trainerWorkers = pgTable(
  "trainer_workers",
  {
    id: text("id").primaryKey(), // hostname:pid:random
    hostname: text("hostname").notNull(),
    pid: integer("pid").notNull(),
    backend: text("backend").notNull(), // tfjs backend actually loaded
    // Where the web app reaches this trainer's scoring server (127.0.0.1 by default); null = none.
    url: text("url"),
    // Checkpoints its server holds loaded now (artifact paths, relative to its checkpoint
    // folder), refreshed with each heartbeat: the web app sends work for a model to a trainer
    // that has it loaded first (lib/models/trainer-client.ts).
    loadedModels: text("loaded_models").array().notNull().default(sql`'{}'::text[]`),
    version: text("version").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeen: timestamp("last_seen", { withTimezone: true }).notNull().defaultNow(),
    stoppedAt: timestamp("stopped_at", { withTimezone: true }),
  },
  (t) => [index("trainer_workers_last_seen_idx").on(t.lastSeen)],
);
export type TrainerWorker = InferSelectModel<typeof trainerWorkers>;
