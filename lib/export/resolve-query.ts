// The export routes' shared reading of the query: parse with zod, check a criterion is the
// project's, resolve excluded annotators given by email to user ids.
import { inArray } from "drizzle-orm";
import { z } from "zod";
import { getDb } from "@/lib/db/client";
import { ApiError } from "@/lib/api/errors";
import { users, type Project } from "@/lib/db/schema";
import { exportQuerySchema, filtersOf, type ExportQuery } from "./export-query";
import type { ExportFilters } from "./stream";

export async function resolveExportQuery(url: string, project: Pick<Project, "criteria">): Promise<{ q: ExportQuery; filters: ExportFilters; excluded: string[] }> {
  const q = exportQuerySchema.parse(Object.fromEntries(new URL(url).searchParams));
  if (q.criterion !== undefined && !project.criteria.includes(q.criterion)) throw new ApiError("invalid_input", `This project has no criterion "${q.criterion}"`);
  const named = (q.excludeAnnotators ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const ids = named.filter((s) => z.uuid().safeParse(s).success);
  const emails = named.filter((s) => !ids.includes(s)).map((s) => s.toLowerCase());
  if (emails.length) ids.push(...(await getDb().select({ id: users.id }).from(users).where(inArray(users.email, emails))).map((u) => u.id));
  return { q, filters: filtersOf(q, ids), excluded: ids };
}
