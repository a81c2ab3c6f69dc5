"use client";

// The playground's form and answers: one column per chosen model, each filled by
// POST /api/v1/models/:id/generate as its answer arrives. Models are asked one after another
// (a trainer samples on the CPU, so asking all at once only makes each one slower), all with
// the same seed so a second try draws the same answers.
import { useState, type FormEvent } from "react";

export type PlaygroundModel = { id: string; kind: "policy" | "sft"; round: number | null; registered: string | null; createdAt: string };
type Sample = { text: string; tokens: number; finished: boolean };
type Column = { model: PlaygroundModel; state: "waiting" | "sampling" | "done" | "error"; samples?: Sample[]; error?: string };

const KIND = { policy: "policy (PPO)", sft: "SFT model" } as const;

function modelLabel(m: PlaygroundModel): string {
  if (m.registered) return `${m.registered} (registered) · ${m.id.slice(0, 8)}`;
  return `${m.round === null ? "no round" : `Round ${m.round}`} · ${KIND[m.kind]} · ${m.id.slice(0, 8)}`;
}

const inputClass = "rounded-md border border-slate-300 px-2 py-1";

export function Playground({ models }: { models: PlaygroundModel[] }) {
  const [chosen, setChosen] = useState<string[]>(models.slice(0, 1).map((m) => m.id));
  const [columns, setColumns] = useState<Column[]>([]);
  const [usedSeed, setUsedSeed] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const num = (name: string) => Number(form.get(name));
    const seedText = String(form.get("seed") ?? "").trim();
    const seed = seedText ? Number(seedText) : Math.floor(Math.random() * 2 ** 31);
    const body = { prompt: String(form.get("prompt") ?? ""), n: num("n"), maxNewTokens: num("maxNewTokens"), temperature: num("temperature"), topP: num("topP"), seed };
    const picked = models.filter((m) => chosen.includes(m.id));
    setUsedSeed(seed);
    setBusy(true);
    setColumns(picked.map((model) => ({ model, state: "waiting" })));
    const update = (i: number, c: Partial<Column>) => setColumns((old) => old.map((col, k) => (k === i ? { ...col, ...c } : col)));
    for (const [i, model] of picked.entries()) {
      update(i, { state: "sampling" });
      try {
        const res = await fetch(`/api/v1/models/${model.id}/generate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        const answer = (await res.json()) as { samples?: Sample[]; error?: { message: string } };
        if (res.ok && answer.samples) update(i, { state: "done", samples: answer.samples });
        else update(i, { state: "error", error: answer.error?.message ?? `HTTP ${res.status}` });
      } catch (err) {
        update(i, { state: "error", error: err instanceof Error ? err.message : String(err) });
      }
    }
    setBusy(false);
  }

  const toggle = (id: string, on: boolean) => setChosen((old) => (on ? [...old, id] : old.filter((x) => x !== id)));
  return (
    <div className="space-y-4">
      <form onSubmit={run} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
        <fieldset className="space-y-1">
          <legend className="text-xs text-slate-500">Models (newest first)</legend>
          <div className="flex flex-wrap gap-x-4 gap-y-1" data-testid="playground-models">
            {models.map((m) => (
              <label key={m.id} className="flex items-center gap-1 text-sm">
                <input type="checkbox" checked={chosen.includes(m.id)} onChange={(e) => toggle(m.id, e.target.checked)} />
                {modelLabel(m)}
              </label>
            ))}
          </div>
        </fieldset>
        <label className="block text-sm">
          <span className="block text-xs text-slate-500">Prompt</span>
          <textarea name="prompt" required rows={4} className={`w-full ${inputClass}`} placeholder="Ask the model something…" />
        </label>
        <div className="flex flex-wrap items-end gap-3">
          <label className="text-sm">
            <span className="block text-xs text-slate-500">Samples per model</span>
            <input name="n" type="number" min={1} max={8} defaultValue={2} className={`w-20 ${inputClass}`} />
          </label>
          <label className="text-sm">
            <span className="block text-xs text-slate-500">Max new tokens</span>
            <input name="maxNewTokens" type="number" min={1} max={512} defaultValue={64} className={`w-24 ${inputClass}`} />
          </label>
          <label className="text-sm">
            <span className="block text-xs text-slate-500">Temperature</span>
            <input name="temperature" type="number" min={0} max={2} step={0.05} defaultValue={0.8} className={`w-24 ${inputClass}`} />
          </label>
          <label className="text-sm">
            <span className="block text-xs text-slate-500">Top-p</span>
            <input name="topP" type="number" min={0.01} max={1} step={0.01} defaultValue={0.95} className={`w-24 ${inputClass}`} />
          </label>
          <label className="text-sm">
            <span className="block text-xs text-slate-500">Seed (blank: random)</span>
            <input name="seed" type="number" min={0} step={1} className={`w-28 ${inputClass}`} />
          </label>
          <button
            type="submit"
            disabled={busy || chosen.length === 0}
            className="rounded-md bg-brand-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-brand-700 disabled:opacity-50"
          >
            {busy ? "Sampling…" : "Generate"}
          </button>
          {usedSeed !== null && <span className="text-xs text-slate-500">seed {usedSeed}</span>}
        </div>
      </form>

      {columns.length > 0 && (
        <div className="overflow-x-auto">
          <div className="grid gap-3" style={{ gridTemplateColumns: `repeat(${columns.length}, minmax(16rem, 1fr))` }} data-testid="playground-answers">
            {columns.map((c) => (
              <section key={c.model.id} className="min-w-0 space-y-2 rounded-lg border border-slate-200 bg-white p-3 shadow-sm" aria-label={modelLabel(c.model)}>
                <h2 className="text-sm font-medium">{modelLabel(c.model)}</h2>
                {c.state === "waiting" && <p className="text-sm text-slate-500">Waiting for the models before it…</p>}
                {c.state === "sampling" && <p className="text-sm text-slate-500">Sampling…</p>}
                {c.state === "error" && (
                  <p role="alert" className="text-sm text-red-700">
                    {c.error}
                  </p>
                )}
                {c.samples?.map((s, i) => (
                  <article key={i} className="space-y-1 border-t border-slate-100 pt-2" data-testid="playground-sample">
                    <pre className="whitespace-pre-wrap break-words font-sans text-sm">{s.text || <span className="text-slate-400">(empty)</span>}</pre>
                    <p className="text-xs text-slate-500">
                      {s.tokens} tokens · {s.finished ? "ended with end-of-text" : "cut at the token limit"}
                    </p>
                  </article>
                ))}
              </section>
            ))}
          </div>
        </div>
      )}
    </div>
  );
}
