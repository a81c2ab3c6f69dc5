// The query string shared by the export and its dataset card (API.md).
import { z } from "zod";
import type { ExportFilters } from "./stream";

const flag = z
  .enum(["0", "1", "true", "false"])
  .optional()
  .transform((v) => v === "1" || v === "true");

export const exportQuerySchema = z
  .object({
    format: z.enum(["pairwise", "kwise", "raw", "sft"]),
    as: z.enum(["ndjson", "csv", "parquet"]).default("ndjson"),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    excludeAnnotators: z.string().optional(),
    round: z.uuid().optional(),
    gold: z.enum(["include", "exclude", "only"]).optional(),
    ties: flag,
    conversational: flag,
    includeExcluded: flag,
    criterion: z.string().trim().min(1).max(40).optional(),
    // CSV only: quote cells a spreadsheet would run as formulas (lib/export/csv.ts); on unless 0/false
    csvFormulaGuard: z
      .enum(["0", "1", "true", "false"])
      .optional()
      .transform((v) => v !== "0" && v !== "false"),
    minAgreement: z.coerce.number().min(0, "minAgreement is a share from 0 to 1").max(1, "minAgreement is a share from 0 to 1").optional(),
  })
  .strict();
export type ExportQuery = z.output<typeof exportQuerySchema>;

/** The filters of a query, with `excludeAnnotators` already resolved to user ids. */
export function filtersOf(q: ExportQuery, excludeAnnotators: string[] = []): ExportFilters {
  return {
    since: q.since ? new Date(q.since) : undefined,
    until: q.until ? new Date(q.until) : undefined,
    excludeAnnotators,
    round: q.round,
    gold: q.gold,
    includeExcluded: q.includeExcluded,
    minAgreement: q.minAgreement,
    criterion: q.criterion,
  };
}
