// CSV rendering of the export records (RFC 4180 quoting), one header line then one line
// per record. Nested values (message lists, rankings) are written as JSON in their cell.
import type { ExportFormat } from "./formats";

type Rec = Record<string, any>;

const COLUMNS: Record<ExportFormat, [string, (r: Rec) => unknown][]> = {
  pairwise: [
    ["prompt", (r) => r.prompt],
    ["chosen", (r) => r.chosen],
    ["rejected", (r) => r.rejected],
    ["margin", (r) => r.margin],
    ["tie", (r) => r.tie],
    ["chosen_source", (r) => r.meta.chosenSource],
    ["rejected_source", (r) => r.meta.rejectedSource],
    ["annotator", (r) => r.meta.annotator],
    ["judgment_id", (r) => r.meta.judgmentId],
    ["comparison_id", (r) => r.meta.comparisonId],
    ["created_at", (r) => r.meta.createdAt],
  ],
  kwise: [
    ["prompt", (r) => r.prompt],
    ["responses", (r) => r.responses],
    ["ranking", (r) => r.ranking],
    ["sources", (r) => r.meta.sources],
    ["annotator", (r) => r.meta.annotator],
    ["judgment_id", (r) => r.meta.judgmentId],
    ["comparison_id", (r) => r.meta.comparisonId],
    ["created_at", (r) => r.meta.createdAt],
  ],
  raw: [
    ["id", (r) => r.id],
    ["comparison_id", (r) => r.comparisonId],
    ["annotator", (r) => r.annotator],
    ["origin", (r) => r.origin],
    ["prompt", (r) => r.prompt],
    ["responses", (r) => r.responses],
    ["shown_order", (r) => r.shownOrder],
    ["ranking", (r) => r.ranking],
    ["strength", (r) => r.strength],
    ["both_bad", (r) => r.bothBad],
    ["criteria", (r) => r.criteria],
    ["rationale", (r) => r.rationale],
    ["duration_ms", (r) => r.durationMs],
    ["created_at", (r) => r.createdAt],
  ],
  sft: [
    ["prompt", (r) => r.prompt],
    ["completion", (r) => r.completion],
    ["source", (r) => r.meta.source],
    ["votes", (r) => r.meta.votes],
    ["judgments", (r) => r.meta.judgments],
    ["comparison_id", (r) => r.meta.comparisonId],
  ],
};

function cell(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(format: ExportFormat): string {
  return COLUMNS[format].map(([name]) => name).join(",") + "\r\n";
}

export function csvLine(format: ExportFormat, record: object): string {
  return COLUMNS[format].map(([, get]) => cell(get(record as Rec))).join(",") + "\r\n";
}
