// The database that `npm start`, the CLI and the tests use: DATABASE_URL when set,
// otherwise the embedded PostgreSQL under ARBITER_DATA_DIR (default .data/).
import { env } from "@/lib/config/env";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "./embedded";

export type OpenDatabase = {
  url: string;
  kind: "external" | "embedded";
  /** Stops the embedded server if this process started it (bounded: embedded.ts); a no-op otherwise. */
  close(): Promise<void>;
  /** The embedded server this process started, for the start script to watch and restart; null otherwise. */
  embedded: EmbeddedDatabase | null;
};

export async function openDatabase(log: (line: string) => void = () => {}): Promise<OpenDatabase> {
  const config = env();
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, kind: "external", close: async () => {}, embedded: null };
  const settings = config.EMBEDDED_PG_SETTINGS?.split(",").map((s) => s.trim()).filter(Boolean);
  const embedded = await startEmbeddedPostgres({ dataDir: config.ARBITER_DATA_DIR, log, settings });
  return { url: embedded.url, kind: "embedded", close: () => embedded.stop(), embedded: embedded.owned ? embedded : null };
}
