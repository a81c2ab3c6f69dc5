-- Idempotent, and dated after 0009 in the journal: it was first dated before 0009, which
-- drizzle's migrator would skip on a database already at 0009, so a database that did run
-- it may run it again.
ALTER TYPE "public"."artifact_kind" ADD VALUE IF NOT EXISTS 'sft';--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "demonstrations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"prompt_id" uuid NOT NULL,
	"completion" text NOT NULL,
	"source" text DEFAULT 'unknown' NOT NULL,
	"content_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "rounds" ADD COLUMN IF NOT EXISTS "cancel_requested_at" timestamp with time zone;--> statement-breakpoint
DO $$ BEGIN
 ALTER TABLE "demonstrations" ADD CONSTRAINT "demonstrations_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;--> statement-breakpoint
DO $$ BEGIN
 ALTER TABLE "demonstrations" ADD CONSTRAINT "demonstrations_prompt_id_prompts_id_fk" FOREIGN KEY ("prompt_id") REFERENCES "public"."prompts"("id") ON DELETE cascade ON UPDATE no action;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS "demonstrations_prompt_hash_key" ON "demonstrations" USING btree ("prompt_id","content_hash");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "demonstrations_project_idx" ON "demonstrations" USING btree ("project_id");