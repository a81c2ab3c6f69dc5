// CSV rendering of the export records (RFC 4180 quoting), one header line then one line
// per record. Nested values (message lists, rankings) are written as JSON in their cell.
import { COLUMNS, textOf } from "./columns";
import type { ExportFormat } from "./formats";

function cell(value: unknown): string {
  const text = textOf(value) ?? "";
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(format: ExportFormat): string {
  return COLUMNS[format].map((c) => c.name).join(",") + "\r\n";
}

export function csvLine(format: ExportFormat, record: object): string {
  return COLUMNS[format].map((c) => cell(c.get(record as Record<string, unknown>))).join(",") + "\r\n";
}
