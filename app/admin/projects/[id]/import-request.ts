// The browser's import request: the file as the body, with ?progress=1 so the server's
// answer is progress lines then the result (API.md, "Import"). XMLHttpRequest rather than
// fetch for the upload's own progress events: browsers hand over the streamed answer only
// once the body is sent, and the import reads the body only as fast as it writes, so the
// bytes sent are the bytes read, near enough.

export type ImportAnswer = {
  imported: Record<string, number>;
  errors: { line: number; message: string }[];
  errorCount: number;
  skipped: { line: number; message: string }[];
  skippedCount: number;
  validRecords: number;
  committed: boolean;
  detected: { format: string; gzip: boolean; dataset: string | null };
};
export type ImportProgress = { sent: number; total: number; records?: number; invalid?: number };
export type ImportOptions = { dryRun: boolean; skipInvalid: boolean; dataset?: string };

/** The body type to send: named, not left to the browser (a .jsonl file's own type is often empty, and the import refuses a signed-in browser's body without an accepted one). */
export function bodyType(name: string): string {
  const n = name.toLowerCase();
  if (n.endsWith(".parquet")) return "application/vnd.apache.parquet";
  if (n.endsWith(".csv") || n.endsWith(".csv.gz")) return "text/csv";
  if (n.endsWith(".gz")) return "application/gzip";
  return "application/x-ndjson";
}

export function sendImport(projectId: string, file: File, opts: ImportOptions, onProgress: (p: ImportProgress) => void): Promise<ImportAnswer> {
  const query = new URLSearchParams({ progress: "1", fileName: file.name.slice(0, 255) });
  if (opts.dryRun) query.set("dryRun", "1");
  if (opts.skipInvalid) query.set("onInvalid", "skip");
  if (opts.dataset) query.set("dataset", opts.dataset);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/projects/${projectId}/import?${query}`);
    xhr.setRequestHeader("content-type", bodyType(file.name));
    let progress: ImportProgress = { sent: 0, total: file.size };
    const report = (p: Partial<ImportProgress>) => onProgress((progress = { ...progress, ...p }));
    xhr.upload.onprogress = (e) => report({ sent: e.loaded, total: e.lengthComputable ? e.total : file.size });
    let read = 0;
    const lines = () => {
      const text = xhr.responseText;
      const end = text.lastIndexOf("\n") + 1;
      const out = text.slice(read, end).split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      read = end;
      return out;
    };
    let final: Record<string, unknown> | undefined;
    const take = () => {
      for (const line of lines()) {
        if (line.progress) {
          const p = line.progress as { records: number; invalid: number };
          report({ records: p.records, invalid: p.invalid });
        } else final = line;
      }
    };
    xhr.onprogress = take;
    xhr.onerror = () => reject(new Error("The upload failed (network error)"));
    xhr.onload = () => {
      if (xhr.status !== 200 || !(xhr.getResponseHeader("content-type") ?? "").includes("ndjson")) {
        // refused before the import began (401, 403, 413, 415, a bad parameter): one JSON error
        try {
          reject(new Error((JSON.parse(xhr.responseText) as { error?: { message?: string } }).error?.message ?? `HTTP ${xhr.status}`));
        } catch {
          reject(new Error(`HTTP ${xhr.status}`));
        }
        return;
      }
      take();
      if (final?.result) resolve(final.result as ImportAnswer);
      else reject(new Error((final?.error as { message?: string } | undefined)?.message ?? "The import ended without an answer"));
    };
    xhr.send(file);
  });
}
