// Each export is recorded: who asked, when, for what (format, filters, options), and once
// the last byte has gone out, how many rows and bytes with their SHA-256 — so a dataset
// can be traced to its request and checked byte for byte.
import { eq } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { datasetExports } from "@/lib/db/schema";
import type { StreamStats } from "./stream";

export async function startExportRecord(projectId: string, userId: string, format: string, options: Record<string, unknown>): Promise<string> {
  const [row] = await getDb().insert(datasetExports).values({ projectId, userId, format, options }).returning({ id: datasetExports.id });
  return row!.id;
}

export async function finishExportRecord(id: string, stats: StreamStats): Promise<void> {
  await getDb()
    .update(datasetExports)
    .set({ rows: stats.rows, bytes: stats.bytes, sha256: stats.sha256, finishedAt: new Date() })
    .where(eq(datasetExports.id, id));
}
