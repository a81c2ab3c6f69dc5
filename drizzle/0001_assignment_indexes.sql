DROP INDEX "comparisons_open_idx";--> statement-breakpoint
ALTER TABLE "comparisons" ADD COLUMN "response_key" text NOT NULL;--> statement-breakpoint
CREATE INDEX "comparisons_reserved_idx" ON "comparisons" USING btree ("project_id") WHERE "comparisons"."reserved_for_user" is not null or "comparisons"."reserved_for_group" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "comparisons_project_response_key" ON "comparisons" USING btree ("project_id","response_key");--> statement-breakpoint
CREATE INDEX "comparisons_gold_idx" ON "comparisons" USING btree ("project_id") WHERE "comparisons"."is_gold";--> statement-breakpoint
CREATE INDEX "comparisons_open_idx" ON "comparisons" USING btree ("project_id","judgment_count" DESC NULLS LAST,"created_at") WHERE "comparisons"."judgment_count" < "comparisons"."required";