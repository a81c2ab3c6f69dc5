// The dataset names the import takes (API.md, "Import"), apart from their readers so that
// the browser's import panel can list them without bundling the readers.

/**
 * `arbiter`: Arbiter's own records (API.md, "Import records"); `hh-rlhf` and `trl` name
 * the same reader (HH transcripts and TRL preference records are among its records, and a
 * file may mix them), told apart only to say what was detected. `trl-unpaired` is named
 * only to be refused with the reason.
 */
export const DATASETS = [
  "arbiter",
  "hh-rlhf",
  "trl",
  "ultrafeedback",
  "ultrafeedback-binarized",
  "helpsteer2",
  "oasst1",
  "chatbot-arena",
  "trl-unpaired",
] as const;
export type DatasetName = (typeof DATASETS)[number];
