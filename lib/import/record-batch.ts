// The valid records waiting to be written together (write-batch.ts): at most BATCH_SIZE
// records and BATCH_MAX_TEXT characters of text, whichever comes first. Records are
// bounded one by one (a line, or an oasst1 prompt of MAX_TEXT), but 500 of the largest
// would be hundreds of MB in one batch, held again as hashes' input and statement
// parameters; the text bound keeps a batch's memory independent of what the records hold.
import type { ImportRecord } from "./records";

export const BATCH_SIZE = 500;
/** characters: some 32 MiB as JavaScript strings */
export const BATCH_MAX_TEXT = 16 * 1024 * 1024;

/** The characters of text a record brings: its prompt's messages, responses and demonstration. */
export function recordText(record: ImportRecord): number {
  let n = record.demonstration?.text.length ?? 0;
  for (const m of record.messages) n += m.content.length;
  for (const r of record.responses) n += r.text.length;
  return n;
}

export class RecordBatch {
  private records: ImportRecord[] = [];
  private text = 0;

  /** Adds a record; true when the batch is full and should be written now. */
  push(record: ImportRecord): boolean {
    this.records.push(record);
    this.text += recordText(record);
    return this.records.length >= BATCH_SIZE || this.text >= BATCH_MAX_TEXT;
  }

  /** The records so far, leaving the batch empty. */
  take(): ImportRecord[] {
    const records = this.records;
    this.records = [];
    this.text = 0;
    return records;
  }
}
