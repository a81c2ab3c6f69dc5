// The flat columns of each export format, shared by CSV and Parquet: a name, how to read
// it from a record, and its kind. Nested values (message lists, rankings) are JSON text.
import type { ExportFormat } from "./formats";

type Rec = Record<string, any>;
/** text: a string (objects as JSON); json: JSON text of a nested value; the rest as named. */
export type ColumnKind = "text" | "json" | "int" | "double" | "bool";
export type Column = { name: string; get: (r: Rec) => unknown; kind: ColumnKind };

const col = (name: string, kind: ColumnKind, get: (r: Rec) => unknown): Column => ({ name, kind, get });

export const COLUMNS: Record<ExportFormat, Column[]> = {
  pairwise: [
    col("prompt", "text", (r) => r.prompt),
    col("chosen", "text", (r) => r.chosen),
    col("rejected", "text", (r) => r.rejected),
    col("margin", "double", (r) => r.margin),
    col("tie", "bool", (r) => r.tie),
    col("chosen_source", "text", (r) => r.meta.chosenSource),
    col("rejected_source", "text", (r) => r.meta.rejectedSource),
    col("annotator", "text", (r) => r.meta.annotator),
    col("judgment_id", "text", (r) => r.meta.judgmentId),
    col("comparison_id", "text", (r) => r.meta.comparisonId),
    col("created_at", "text", (r) => r.meta.createdAt),
  ],
  kwise: [
    col("prompt", "text", (r) => r.prompt),
    col("responses", "json", (r) => r.responses),
    col("ranking", "json", (r) => r.ranking),
    col("sources", "json", (r) => r.meta.sources),
    col("annotator", "text", (r) => r.meta.annotator),
    col("judgment_id", "text", (r) => r.meta.judgmentId),
    col("comparison_id", "text", (r) => r.meta.comparisonId),
    col("created_at", "text", (r) => r.meta.createdAt),
  ],
  raw: [
    col("id", "text", (r) => r.id),
    col("comparison_id", "text", (r) => r.comparisonId),
    col("annotator", "text", (r) => r.annotator),
    col("origin", "text", (r) => r.origin),
    col("prompt", "json", (r) => r.prompt),
    col("responses", "json", (r) => r.responses),
    col("shown_order", "json", (r) => r.shownOrder),
    col("ranking", "json", (r) => r.ranking),
    col("strength", "int", (r) => r.strength),
    col("both_bad", "bool", (r) => r.bothBad),
    col("criteria", "json", (r) => r.criteria),
    col("rationale", "text", (r) => r.rationale),
    col("duration_ms", "int", (r) => r.durationMs),
    col("created_at", "text", (r) => r.createdAt),
  ],
  sft: [
    col("prompt", "text", (r) => r.prompt),
    col("completion", "text", (r) => r.completion),
    col("source", "text", (r) => r.meta.source),
    col("votes", "int", (r) => r.meta.votes),
    col("judgments", "int", (r) => r.meta.judgments),
    col("comparison_id", "text", (r) => r.meta.comparisonId),
  ],
};

/** A cell's value as text: strings as they are, nested values as JSON, null/undefined as null. */
export function textOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
}
