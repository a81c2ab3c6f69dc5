"use client";

// Import in the browser: a preview of the first records, a dry run that lists every error
// by line (nothing written), then the real import of the same file.
import { useState } from "react";

type ImportResult = {
  imported: Record<string, number>;
  errors: { line: number; message: string }[];
  errorCount: number;
  committed: boolean;
};

const PREVIEW_LINES = 5;

export function ImportPanel({ projectId }: { projectId: string }) {
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<string[]>([]);
  const [check, setCheck] = useState<ImportResult | null>(null);
  const [done, setDone] = useState<ImportResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const format = (f: File) => (f.name.toLowerCase().endsWith(".csv") ? "csv" : "ndjson");
  // Named, not left to the browser: a file's own type is often empty (.jsonl), and the
  // import refuses a signed-in browser's body without an accepted type (request-guard.ts).
  const bodyType = (f: File) => ({ csv: "text/csv", ndjson: "application/x-ndjson" })[format(f)] ?? "application/octet-stream";

  async function send(f: File, dryRun: boolean): Promise<ImportResult | null> {
    const res = await fetch(`/api/v1/projects/${projectId}/import?format=${format(f)}${dryRun ? "&dryRun=1" : ""}`, { method: "POST", headers: { "content-type": bodyType(f) }, body: f });
    const body = await res.json();
    if (res.status === 413 || (!res.ok && !("errors" in body))) {
      setError(body.error?.message ?? `HTTP ${res.status}`);
      return null;
    }
    return body as ImportResult;
  }

  async function choose(f: File | null) {
    setFile(f);
    setCheck(null);
    setDone(null);
    setError(undefined);
    if (!f) return;
    const head = await f.slice(0, 64 * 1024).text();
    setPreview(head.split("\n").filter((l) => l.trim()).slice(0, format(f) === "csv" ? PREVIEW_LINES + 1 : PREVIEW_LINES));
    setBusy(true);
    setCheck(await send(f, true));
    setBusy(false);
  }

  async function commit() {
    if (!file) return;
    setBusy(true);
    setDone(await send(file, false));
    setBusy(false);
  }

  return (
    <div className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <h2 className="font-medium">Import data</h2>
      <p className="text-xs text-slate-500">NDJSON (one record a line: responses, chosen/rejected, HH transcripts, rankings, demonstrations, bare prompts) or CSV with a header. See docs/API.md.</p>
      <input type="file" accept=".jsonl,.ndjson,.json,.csv" aria-label="Import file" onChange={(e) => void choose(e.target.files?.[0] ?? null)} className="text-sm" />
      {preview.length > 0 && (
        <div>
          <div className="text-xs font-medium uppercase text-slate-500">First records</div>
          <pre className="mt-1 max-h-48 overflow-auto rounded bg-slate-50 p-2 text-xs" data-testid="import-preview">
            {preview.map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l)).join("\n")}
          </pre>
        </div>
      )}
      {busy && <p className="text-sm text-slate-500">Working…</p>}
      {error && <p role="alert" className="text-sm text-red-700">{error}</p>}
      {check && check.errorCount > 0 && (
        <div data-testid="import-errors" className="rounded-md bg-red-50 p-3 text-sm text-red-800">
          <p className="font-medium">{check.errorCount} invalid line{check.errorCount === 1 ? "" : "s"}: nothing will be imported until they are fixed.</p>
          <ul className="mt-1 max-h-48 list-disc overflow-auto pl-5">
            {check.errors.map((e) => (
              <li key={`${e.line}-${e.message}`}>
                line {e.line}: {e.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {check && check.errorCount === 0 && !done && (
        <div className="flex flex-wrap items-center gap-3 text-sm">
          <span data-testid="import-check">
            Valid: {check.imported.records} records → {check.imported.prompts} new prompts, {check.imported.responses} responses, {check.imported.comparisons} comparisons,{" "}
            {check.imported.judgments} judgments, {check.imported.demonstrations ?? 0} demonstrations.
          </span>
          <button type="button" onClick={() => void commit()} disabled={busy} className="rounded-md bg-brand-600 px-3 py-1.5 text-white">
            Import
          </button>
        </div>
      )}
      {done?.committed && (
        <p role="status" data-testid="import-done" className="text-sm text-emerald-700">
          Imported {done.imported.records} records: {done.imported.comparisons} new comparisons
          {done.imported.demonstrations ? `, ${done.imported.demonstrations} new demonstrations` : ""}. Reload to see progress.
        </p>
      )}
    </div>
  );
}
