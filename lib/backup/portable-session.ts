// Backups and bundles carry COPY's text, which PostgreSQL writes and reads by the session's
// settings: a server or database set to another date style, interval style, float
// precision or time zone would write other bytes for the same rows (and a
// `extra_float_digits` below 1 rounds floats), and read dates in its own order. Every
// connection that writes or reads these files uses the same settings.
import pg from "pg";
import { connectionConfig } from "@/lib/db/client";

const PORTABLE_SETTINGS = "set datestyle = 'ISO'; set intervalstyle = 'postgres'; set extra_float_digits = 3; set timezone = 'UTC'";

/** A connection for long work (connection settings of the "long" purpose) with the portable settings; the caller ends it. */
export async function openPortableConnection(url?: string): Promise<pg.Client> {
  const client = new pg.Client(connectionConfig("long", url));
  await client.connect();
  try {
    await client.query(PORTABLE_SETTINGS);
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  return client;
}
