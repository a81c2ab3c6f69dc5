// Errors that refuse a whole import (400, nothing written), as opposed to one invalid line.

/** The file cannot be read at all: corrupt gzip or Parquet, an unsupported Parquet codec. */
export class UnreadableFileError extends Error {}

/** The records are of a kind Arbiter does not import (TRL unpaired), or not from this file format. */
export class UnsupportedRecordsError extends Error {}
