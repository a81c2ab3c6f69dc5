// Each import that is not a dry run is recorded (table import_records): who, when, which
// file as received (its name, bytes and SHA-256), how it was read and what it wrote — so
// the rows in a project can be traced to the file they came from and the file checked.
// A committed import's record is written in the import's own transaction; a refused one's
// after the rollback, on its own.
import { getDb, type Tx } from "@/lib/db/client";
import { importRecords } from "@/lib/db/schema";

export type ImportRecordValues = Omit<typeof importRecords.$inferInsert, "id" | "finishedAt">;

export async function recordImport(values: ImportRecordValues, tx?: Tx): Promise<string> {
  const [row] = await (tx ?? getDb()).insert(importRecords).values(values).returning({ id: importRecords.id });
  return row!.id;
}
