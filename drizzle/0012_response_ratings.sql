-- Scores an imported dataset gave a response (UltraFeedback aspect ratings, HelpSteer2 attributes, oasst1 labels).
ALTER TABLE "responses" ADD COLUMN "ratings" jsonb;