// The author of imported judgments: a user that exists so that foreign keys hold, and can
// never sign in (no password, disabled).
import { eq } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { users } from "@/lib/db/schema";

export const IMPORTED_ANNOTATOR_EMAIL = "imported@arbiter.system";

type Tx = Pick<Db, "insert" | "select">;

export async function importedAnnotatorId(tx: Tx): Promise<string> {
  await tx
    .insert(users)
    .values({ email: IMPORTED_ANNOTATOR_EMAIL, name: "Imported", role: "annotator", disabledAt: new Date() })
    .onConflictDoNothing({ target: users.email });
  const [row] = await tx.select({ id: users.id }).from(users).where(eq(users.email, IMPORTED_ANNOTATOR_EMAIL));
  return row!.id;
}
