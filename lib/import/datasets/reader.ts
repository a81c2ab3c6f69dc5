// What every dataset reader does: take the file's records one by one (parsed JSON lines,
// CSV rows or Parquet rows, numbered) and hand back import records or errors, each with
// the line it came from. Most datasets map one line to one record; some group several
// lines into one record (HelpSteer2's responses to one prompt, oasst1's message trees)
// and hold that group, never more, until it is complete.
import { describeError, type ImportRecord } from "../records";

export type Emitted = { line: number; record: ImportRecord } | { line: number; error: string };

export interface DatasetReader {
  push(value: unknown, line: number): Emitted[];
  /** what the last group holds once the file has ended */
  end(): Emitted[];
}

/** A reader for datasets whose every line stands alone; `toRecords` throws for an invalid line. */
export function perLine(toRecords: (value: unknown) => ImportRecord | ImportRecord[]): DatasetReader {
  return {
    push(value, line) {
      try {
        const out = toRecords(value);
        return (Array.isArray(out) ? out : [out]).map((record) => ({ line, record }));
      } catch (err) {
        return [{ line, error: describeError(err) }];
      }
    },
    end: () => [],
  };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
