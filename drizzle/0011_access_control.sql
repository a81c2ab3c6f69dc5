DROP INDEX "sign_in_failures_email_at_idx";--> statement-breakpoint
-- Failures recorded without an address count as one unknown address.
UPDATE "sign_in_failures" SET "ip" = 'unknown' WHERE "ip" IS NULL;--> statement-breakpoint
ALTER TABLE "sign_in_failures" ALTER COLUMN "ip" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "expires_at" timestamp with time zone DEFAULT now() + interval '90 days' NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "session_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "oauth_accounts_provider_user_key" ON "oauth_accounts" USING btree ("provider","user_id");--> statement-breakpoint
CREATE INDEX "sign_in_failures_email_ip_at_idx" ON "sign_in_failures" USING btree ("email","ip","at");--> statement-breakpoint
CREATE INDEX "sign_in_failures_ip_at_idx" ON "sign_in_failures" USING btree ("ip","at");--> statement-breakpoint
CREATE INDEX "sign_in_failures_at_idx" ON "sign_in_failures" USING btree ("at");