import { afterAll, inject } from "vitest";
import { closeDb } from "@/lib/db/client";

// The tests read and write the cluster's database directly for fixtures and checks.
process.env.DATABASE_URL = inject("cluster").databaseUrl;
process.env.ARBITER_DATA_DIR = inject("cluster").dataDir;

afterAll(async () => {
  await closeDb();
});
