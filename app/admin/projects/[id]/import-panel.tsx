"use client";

// Import in the browser: a preview of the first records, a dry run that lists every error
// by line (nothing written), then the real import of the same file: all of it, or, after a
// dry run that found invalid lines, the valid records with those lines skipped. Progress
// (bytes and records so far) while either runs.
import { useState } from "react";
import { DATASETS } from "@/lib/import/datasets/names";
import { sendImport, type ImportAnswer, type ImportOptions, type ImportProgress } from "./import-request";

const PREVIEW_LINES = 5;
const CHOICES = DATASETS.filter((d) => d !== "trl-unpaired");

/** The first lines of a text file, unpacked first when it is gzipped; none for Parquet. */
async function previewLines(f: File): Promise<string[]> {
  const name = f.name.toLowerCase();
  if (name.endsWith(".parquet")) return [];
  let head: string;
  if (name.endsWith(".gz")) {
    const reader = f.slice(0, 256 * 1024).stream().pipeThrough(new DecompressionStream("gzip")).pipeThrough(new TextDecoderStream()).getReader();
    head = "";
    try {
      while (head.length < 64 * 1024) {
        const { done, value } = await reader.read();
        if (done) break;
        head += value;
      }
    } catch {
      // a slice of a gzip file ends mid-stream: what was unpacked before is enough
    }
  } else head = await f.slice(0, 64 * 1024).text();
  return head.split("\n").filter((l) => l.trim()).slice(0, name.includes(".csv") ? PREVIEW_LINES + 1 : PREVIEW_LINES);
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

function ProgressLine({ p }: { p: ImportProgress }) {
  return (
    <p className="text-sm text-slate-500" data-testid="import-progress">
      Sent {mb(p.sent)} of {mb(p.total)}
      {p.records !== undefined ? ` · ${p.records.toLocaleString()} records read${p.invalid ? `, ${p.invalid.toLocaleString()} invalid` : ""}` : ""}…
    </p>
  );
}

function Counts({ a }: { a: ImportAnswer }) {
  const i = a.imported;
  return (
    <>
      {i.records} records → {i.prompts} new prompts, {i.responses} responses, {i.comparisons} comparisons, {i.judgments} judgments, {i.demonstrations ?? 0} demonstrations
    </>
  );
}

export function ImportPanel({ projectId }: { projectId: string }) {
  const [file, setFile] = useState<File | null>(null);
  const [dataset, setDataset] = useState("");
  const [preview, setPreview] = useState<string[]>([]);
  const [check, setCheck] = useState<ImportAnswer | null>(null);
  const [done, setDone] = useState<ImportAnswer | null>(null);
  const [progress, setProgress] = useState<ImportProgress | null>(null);
  const [error, setError] = useState<string>();

  async function send(f: File, opts: Omit<ImportOptions, "dataset">): Promise<ImportAnswer | null> {
    setProgress({ sent: 0, total: f.size });
    try {
      return await sendImport(projectId, f, { ...opts, dataset: dataset || undefined }, setProgress);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      return null;
    } finally {
      setProgress(null);
    }
  }

  async function choose(f: File | null) {
    setFile(f);
    setCheck(null);
    setDone(null);
    setError(undefined);
    setPreview([]);
    if (!f) return;
    setPreview(await previewLines(f));
    setCheck(await send(f, { dryRun: true, skipInvalid: false }));
  }

  async function commit(skipInvalid: boolean) {
    if (!file) return;
    setDone(await send(file, { dryRun: false, skipInvalid }));
  }

  const busy = progress !== null;
  return (
    <div className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <h2 className="font-medium">Import data</h2>
      <p className="text-xs text-slate-500">
        NDJSON, CSV with a header, or Parquet, gzipped or not: Arbiter&apos;s records (responses, chosen/rejected, rankings, demonstrations, bare prompts), Anthropic HH-RLHF, TRL
        preference data, UltraFeedback, HelpSteer2, OpenAssistant oasst1 or Chatbot Arena files as they ship. See docs/API.md.
      </p>
      <div className="flex flex-wrap items-center gap-3">
        <input
          type="file"
          accept=".jsonl,.ndjson,.json,.csv,.gz,.parquet"
          aria-label="Import file"
          disabled={busy}
          onChange={(e) => void choose(e.target.files?.[0] ?? null)}
          className="text-sm"
        />
        <label className="text-sm text-slate-600">
          Dataset{" "}
          <select aria-label="Dataset" value={dataset} disabled={busy} onChange={(e) => setDataset(e.target.value)} className="rounded border border-slate-300 px-1 py-0.5 text-sm">
            <option value="">detect from the first record</option>
            {CHOICES.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </label>
      </div>
      {preview.length > 0 && (
        <div>
          <div className="text-xs font-medium uppercase text-slate-500">First records</div>
          <pre className="mt-1 max-h-48 overflow-auto rounded bg-slate-50 p-2 text-xs" data-testid="import-preview">
            {preview.map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l)).join("\n")}
          </pre>
        </div>
      )}
      {progress && <ProgressLine p={progress} />}
      {error && (
        <p role="alert" className="text-sm text-red-700">
          {error}
        </p>
      )}
      {check && (
        <p className="text-xs text-slate-500" data-testid="import-detected">
          Read as {check.detected.format.toUpperCase()}
          {check.detected.gzip ? " (gzip)" : ""}
          {check.detected.dataset ? `, ${check.detected.dataset} records` : ""}.
        </p>
      )}
      {check && check.errorCount > 0 && !done && (
        <div data-testid="import-errors" className="rounded-md bg-red-50 p-3 text-sm text-red-800">
          <p className="font-medium">
            {check.errorCount} invalid line{check.errorCount === 1 ? "" : "s"}: nothing is imported until they are fixed, unless you skip them.
          </p>
          <ul className="mt-1 max-h-48 list-disc overflow-auto pl-5">
            {check.errors.map((e) => (
              <li key={`${e.line}-${e.message}`}>
                line {e.line}: {e.message}
              </li>
            ))}
          </ul>
          {check.validRecords > 0 && (
            <div className="mt-2 flex flex-wrap items-center gap-3">
              <span data-testid="import-skip-offer">
                {check.validRecords} valid record{check.validRecords === 1 ? "" : "s"} can be imported without the {check.errorCount} invalid line{check.errorCount === 1 ? "" : "s"}.
              </span>
              <button type="button" onClick={() => void commit(true)} disabled={busy} className="rounded-md bg-brand-600 px-3 py-1.5 text-white">
                Import {check.validRecords} valid, skip {check.errorCount} invalid
              </button>
            </div>
          )}
        </div>
      )}
      {check && check.errorCount === 0 && !done && (
        <div className="flex flex-wrap items-center gap-3 text-sm">
          <span data-testid="import-check">
            Valid: <Counts a={check} />.
          </span>
          <button type="button" onClick={() => void commit(false)} disabled={busy} className="rounded-md bg-brand-600 px-3 py-1.5 text-white">
            Import
          </button>
        </div>
      )}
      {done?.committed && (
        <p role="status" data-testid="import-done" className="text-sm text-emerald-700">
          Imported <Counts a={done} />
          {done.skippedCount > 0 ? `; skipped ${done.skippedCount} invalid line${done.skippedCount === 1 ? "" : "s"}` : ""}. Reload to see progress.
        </p>
      )}
      {done && !done.committed && done.errorCount > 0 && (
        <p role="alert" className="text-sm text-red-700">
          The file changed since the check: {done.errorCount} invalid lines, nothing imported.
        </p>
      )}
    </div>
  );
}
