// The datasets the import reads (docs/API.md, "Import datasets"), and how the first record
// tells which one a file holds when the request does not say.
import { nulMessage, nulPath } from "@/lib/db/nul-character";
import { UnsupportedRecordsError } from "../import-errors";
import { isTranscript } from "../hh-transcript";
import { csvRowToRecord, normalizeRecord, UNPAIRED_REFUSAL } from "../records";
import type { FileFormat } from "../file-values";
import { chatbotArenaRecord } from "./chatbot-arena";
import { helpsteer2Reader } from "./helpsteer2";
import { oasst1Reader } from "./oasst1";
import { isObject, perLine, type DatasetReader, type Emitted } from "./reader";
import { ultrafeedbackBinarizedRecord, ultrafeedbackRecord } from "./ultrafeedback";
import type { DatasetName } from "./names";

export { DATASETS, type DatasetName } from "./names";

/** CSV cells are text: only datasets of flat text columns come as CSV. */
const CSV_DATASETS: readonly DatasetName[] = ["arbiter", "hh-rlhf", "trl", "helpsteer2"];

const TRL_KEYS = new Set(["prompt", "chosen", "rejected"]);

export function detectDataset(value: unknown): DatasetName {
  if (!isObject(value)) return "arbiter";
  const has = (k: string) => k in value;
  if (has("instruction") && has("completions")) return "ultrafeedback";
  if (has("score_chosen") && has("score_rejected")) return "ultrafeedback-binarized";
  if (has("model_a") && has("model_b") && has("winner")) return "chatbot-arena";
  if ((has("message_id") && has("role")) || (has("message_tree_id") && isObject(value.prompt))) return "oasst1";
  if (has("response") && has("helpfulness")) return "helpsteer2";
  if (has("completion") && has("label")) return "trl-unpaired";
  if (has("chosen") && has("rejected")) {
    if (!has("prompt") && typeof value.chosen === "string" && isTranscript(value.chosen)) return "hh-rlhf";
    if (Object.keys(value).every((k) => TRL_KEYS.has(k))) return "trl";
  }
  return "arbiter";
}

/** The dataset's reader, its records checked for what the database cannot store. */
export function datasetReader(name: DatasetName, file: FileFormat): DatasetReader {
  return storableOnly(readerOf(name, file));
}

/** A record holding a NUL (JSON's \u0000, a CSV or Parquet cell's) is an error on its line, not a failed insert that ends the import. */
function storableOnly(reader: DatasetReader): DatasetReader {
  const check = (emitted: Emitted[]): Emitted[] =>
    emitted.map((e) => {
      if ("error" in e) return e;
      const at = nulPath(e.record);
      return at === undefined ? e : { line: e.line, error: nulMessage(at, "the record") };
    });
  return { push: (value, line) => check(reader.push(value, line)), end: () => check(reader.end()) };
}

function readerOf(name: DatasetName, file: FileFormat): DatasetReader {
  if (name === "trl-unpaired") throw new UnsupportedRecordsError(UNPAIRED_REFUSAL);
  if (file === "csv" && !CSV_DATASETS.includes(name)) throw new UnsupportedRecordsError(`${name} records have nested fields: send them as NDJSON or Parquet, not CSV`);
  switch (name) {
    case "arbiter":
    case "hh-rlhf":
    case "trl":
      return perLine(file === "csv" ? (v) => normalizeRecord(csvRowToRecord(v as Record<string, string>)) : normalizeRecord);
    case "ultrafeedback":
      return perLine(ultrafeedbackRecord);
    case "ultrafeedback-binarized":
      return perLine(ultrafeedbackBinarizedRecord);
    case "chatbot-arena":
      return perLine(chatbotArenaRecord);
    case "helpsteer2":
      return helpsteer2Reader();
    case "oasst1":
      return oasst1Reader();
  }
}
