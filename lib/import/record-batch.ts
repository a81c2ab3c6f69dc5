// The valid records waiting to be written together (write-batch.ts): at most BATCH_SIZE
// records and BATCH_MAX_BYTES of them in memory, whichever comes first. Records are
// bounded one by one (a line, or an oasst1 prompt of MAX_TEXT), but 500 of the largest
// would be gigabytes in one batch (an 8 MiB line of empty messages parses to some 40 MB
// of objects), held again as hashes' input and statement parameters; the byte bound keeps
// a batch's memory independent of what the records hold.
import type { ImportRecord } from "./records";

export const BATCH_SIZE = 500;
export const BATCH_MAX_BYTES = 32 * 1024 * 1024;
/** JavaScript strings take up to two bytes a character; a message or response object, its strings' headers and its place in arrays some 128. */
const CHAR_BYTES = 2;
const PART_BYTES = 128;

/** About the memory a record holds: its prompt's messages, responses and demonstration. */
export function recordBytes(record: ImportRecord): number {
  let chars = record.demonstration?.text.length ?? 0;
  for (const m of record.messages) chars += m.content.length;
  for (const r of record.responses) chars += r.text.length;
  return chars * CHAR_BYTES + (record.messages.length + record.responses.length + 1) * PART_BYTES;
}

export class RecordBatch {
  private records: ImportRecord[] = [];
  private bytes = 0;

  /** Adds a record; true when the batch is full and should be written now. */
  push(record: ImportRecord): boolean {
    this.records.push(record);
    this.bytes += recordBytes(record);
    return this.records.length >= BATCH_SIZE || this.bytes >= BATCH_MAX_BYTES;
  }

  /** The records so far, leaving the batch empty. */
  take(): ImportRecord[] {
    const records = this.records;
    this.records = [];
    this.bytes = 0;
    return records;
  }
}
