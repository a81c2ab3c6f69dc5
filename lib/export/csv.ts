// CSV rendering of the export records (RFC 4180 quoting), one header line then one line
// per record. Nested values (message lists, rankings) are written as JSON in their cell.
//
// Formula guard (on unless turned off): a text or JSON cell that starts with =, +, -, @, a tab or a
// carriage return is one a spreadsheet would run as a formula when the file is opened
// (prompts and responses are imported, untrusted text). It gets a leading single quote, the
// rule of OWASP's "CSV Injection" page, which spreadsheets read as "this is text".
import { COLUMNS, textOf, type Column } from "./columns";
import type { ExportFormat } from "./formats";

export type CsvOptions = { formulaGuard: boolean };

const FORMULA_START = /^[=+\-@\t\r]/;

function cell(column: Column, value: unknown, opts: CsvOptions): string {
  let text = textOf(value) ?? "";
  if (opts.formulaGuard && (column.kind === "text" || column.kind === "json") && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(format: ExportFormat): string {
  return COLUMNS[format].map((c) => c.name).join(",") + "\r\n";
}

export function csvLine(format: ExportFormat, record: object, opts: CsvOptions = { formulaGuard: true }): string {
  return COLUMNS[format].map((c) => cell(c, c.get(record as Record<string, unknown>), opts)).join(",") + "\r\n";
}
