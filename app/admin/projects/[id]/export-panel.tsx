"use client";

// Export in the browser: choose format, file type and filters; see how much the export holds
// and its first records; then download it (and its dataset card) with the same parameters.
import { useMemo, useState } from "react";

type Counts = { judgments: number; comparisons: number; prompts: number; annotators: number };
type Preview = { counts: Counts; records: object[] };

const FORMATS = [
  ["pairwise", "Pairwise (TRL)"],
  ["kwise", "k-wise rankings"],
  ["sft", "SFT (best responses)"],
  ["raw", "Raw judgments"],
] as const;

export function ExportPanel({ projectId, criteria }: { projectId: string; criteria: string[] }) {
  const [criterion, setCriterion] = useState("");
  const [format, setFormat] = useState<string>("pairwise");
  const [as, setAs] = useState<string>("ndjson");
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const [gold, setGold] = useState("include");
  const [minAgreement, setMinAgreement] = useState("");
  const [ties, setTies] = useState(false);
  const [conversational, setConversational] = useState(false);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const query = useMemo(() => {
    const p = new URLSearchParams({ format });
    if (as !== "ndjson") p.set("as", as);
    if (since) p.set("since", new Date(since).toISOString());
    if (until) p.set("until", new Date(until).toISOString());
    if (gold !== "include") p.set("gold", gold);
    if (minAgreement) p.set("minAgreement", String(Number(minAgreement) / 100));
    if (criterion) p.set("criterion", criterion);
    if (format === "pairwise" && ties) p.set("ties", "1");
    if (format === "pairwise" && conversational && as === "ndjson") p.set("conversational", "1");
    return p.toString();
  }, [format, as, since, until, gold, minAgreement, criterion, ties, conversational]);

  async function look() {
    setBusy(true);
    setError(undefined);
    try {
      const res = await fetch(`/api/v1/projects/${projectId}/export/preview?${query}`);
      const body = await res.json();
      if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
      setPreview(body as Preview);
    } catch (err) {
      setPreview(null);
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  const field = "rounded-md border border-slate-300 px-2 py-1 text-sm";
  return (
    <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="export-panel">
      <h2 className="font-medium">Export</h2>
      <p className="text-xs text-slate-500">Streamed; annotators appear as pseudonyms and excluded annotators are left out. Formats and filters: docs/API.md.</p>
      <div className="flex flex-wrap items-end gap-3">
        <label className="text-sm">
          <span className="block text-xs text-slate-500">Format</span>
          <select aria-label="Export format" value={format} onChange={(e) => (setFormat(e.target.value), setPreview(null))} className={field}>
            {FORMATS.map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm">
          <span className="block text-xs text-slate-500">File</span>
          <select aria-label="File type" value={as} onChange={(e) => setAs(e.target.value)} className={field}>
            <option value="ndjson">NDJSON</option>
            <option value="csv">CSV</option>
            <option value="parquet">Parquet</option>
          </select>
        </label>
        <label className="text-sm">
          <span className="block text-xs text-slate-500">From</span>
          <input type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} className={field} />
        </label>
        <label className="text-sm">
          <span className="block text-xs text-slate-500">Until</span>
          <input type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} className={field} />
        </label>
        <label className="text-sm">
          <span className="block text-xs text-slate-500">Gold</span>
          <select value={gold} onChange={(e) => setGold(e.target.value)} className={field}>
            <option value="include">include</option>
            <option value="exclude">leave out</option>
            <option value="only">only gold</option>
          </select>
        </label>
        <label className="text-sm">
          <span className="block text-xs text-slate-500">Min. agreement %</span>
          <input aria-label="Minimum agreement" type="number" min={0} max={100} value={minAgreement} onChange={(e) => setMinAgreement(e.target.value)} className={`${field} w-24`} />
        </label>
        {criteria.length > 0 && (
          <label className="text-sm">
            <span className="block text-xs text-slate-500">Verdict</span>
            <select aria-label="Criterion" value={criterion} onChange={(e) => setCriterion(e.target.value)} className={field}>
              <option value="">overall</option>
              {criteria.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
        )}
        {format === "pairwise" && (
          <>
            <label className="flex items-center gap-1 text-sm">
              <input type="checkbox" checked={ties} onChange={(e) => setTies(e.target.checked)} /> ties
            </label>
            <label className="flex items-center gap-1 text-sm">
              <input type="checkbox" checked={conversational} disabled={as !== "ndjson"} onChange={(e) => setConversational(e.target.checked)} /> conversational
            </label>
          </>
        )}
        <button type="button" onClick={look} disabled={busy} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100 disabled:opacity-50">
          {busy ? "Counting…" : "Preview"}
        </button>
        <a href={`/api/v1/projects/${projectId}/export?${query}`} download className="rounded-md bg-brand-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-brand-700">
          Download
        </a>
        <a href={`/api/v1/projects/${projectId}/export/card?${query.replace(/(^|&)as=[^&]*/, "")}`} download className="text-sm text-brand-700 underline">
          Dataset card (README.md)
        </a>
      </div>
      {error && (
        <p role="alert" className="text-sm text-red-700">
          {error}
        </p>
      )}
      {preview && (
        <div className="min-w-0 space-y-2" data-testid="export-preview">
          <p className="text-sm" data-testid="export-counts">
            {preview.counts.judgments} judgments · {preview.counts.comparisons} comparisons · {preview.counts.prompts} prompts · {preview.counts.annotators} annotators
          </p>
          <pre className="max-h-64 overflow-auto whitespace-pre-wrap break-words rounded bg-slate-50 p-2 text-xs">
            {preview.records.length ? preview.records.map((r) => JSON.stringify(r)).join("\n") : "(no records with these filters)"}
          </pre>
        </div>
      )}
    </section>
  );
}
