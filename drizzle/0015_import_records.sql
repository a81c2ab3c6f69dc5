-- Every import that was not a dry run: who, when, which file (name, bytes, SHA-256), how it was read, what it wrote.
CREATE TABLE "import_records" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"user_id" uuid,
	"file_name" text,
	"format" text NOT NULL,
	"gzip" boolean DEFAULT false NOT NULL,
	"dataset" text,
	"options" jsonb NOT NULL,
	"bytes" bigint NOT NULL,
	"sha256" text NOT NULL,
	"counts" jsonb NOT NULL,
	"valid_records" integer NOT NULL,
	"invalid_lines" integer NOT NULL,
	"committed" boolean NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "import_records" ADD CONSTRAINT "import_records_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_records" ADD CONSTRAINT "import_records_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "import_records_project_idx" ON "import_records" USING btree ("project_id","started_at");