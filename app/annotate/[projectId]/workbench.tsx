"use client";

// The annotator's screen: one comparison at a time, the next one prefetched, every action
// on a key. State that belongs to one task (verdict, ranking, rationale) resets per task.
import { useCallback, useEffect, useRef, useState } from "react";
import { SafeMarkdown } from "@/app/components/safe-markdown";
import { UNDO_WINDOW_MS } from "@/lib/judgments/undo-window";
import { Conversation } from "./conversation";
import { groupsOf, KwisePanel, moveTo, toggleTie, type KwiseState } from "./kwise-panel";
import { PAIRWISE_VERDICTS, PairwisePanel, type CriterionVerdict, type PairwiseVerdictId } from "./pairwise-panel";
import { fetchNext, skipTask, submitVerdict, undoJudgment, type Task, type Verdict } from "./task-client";

export type WorkbenchProject = {
  id: string;
  name: string;
  mode: "pairwise" | "kwise";
  instructions: string;
  allowTies: boolean;
  requireRationale: boolean;
  criteria: string[];
};

const SKIP_REASONS = ["Prompt is unclear", "I can't judge this topic", "Offensive or unsafe content", "Other"];

type Submitted = { judgmentId: string; task: Task; at: number };

export function Workbench({ project, initialJudged }: { project: WorkbenchProject; initialJudged: number }) {
  const [task, setTask] = useState<Task | null | undefined>(undefined); // undefined: loading, null: nothing left
  const prefetched = useRef<Promise<Task | null> | null>(null);
  const [verdict, setVerdict] = useState<PairwiseVerdictId | null>(null);
  const [bothBad, setBothBad] = useState(false);
  const [criteria, setCriteria] = useState<Record<string, CriterionVerdict>>({});
  const [kwise, setKwise] = useState<KwiseState>({ order: [], tiedWithAbove: [] });
  const [selected, setSelected] = useState(0);
  const [rationale, setRationale] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [sessionCount, setSessionCount] = useState(0);
  const [last, setLast] = useState<Submitted | null>(null);
  const [overlay, setOverlay] = useState<"help" | "instructions" | "skip" | null>(null);
  const [skipReason, setSkipReason] = useState(SKIP_REASONS[0]!);
  const shownAt = useRef(Date.now());
  const clientIds = useRef(new Map<string, string>()); // comparisonId → the clientId of its submit

  const show = useCallback((next: Task | null) => {
    setTask(next);
    setVerdict(null);
    setBothBad(false);
    setCriteria({});
    setRationale("");
    setSelected(0);
    setKwise({ order: next?.responses.map((r) => r.id) ?? [], tiedWithAbove: [] });
    shownAt.current = Date.now();
    prefetched.current = next ? fetchNext(project.id, [next.comparisonId]).catch(() => null) : null;
  }, [project.id]);

  useEffect(() => {
    fetchNext(project.id).then(show, (e: Error) => setError(e.message));
  }, [project.id, show]);

  const advance = useCallback(async (current: Task) => {
    const next = (await prefetched.current) ?? (await fetchNext(project.id, [current.comparisonId]));
    show(next && next.comparisonId !== current.comparisonId ? next : await fetchNext(project.id, [current.comparisonId]));
  }, [project.id, show]);

  const buildVerdict = useCallback((): Verdict | string => {
    if (!task) return "No task";
    const durationMs = Date.now() - shownAt.current;
    const text = rationale.trim() || undefined;
    if (project.requireRationale && !text) return "This project asks for a rationale.";
    if (project.mode === "kwise") return { ranking: groupsOf(kwise), rationale: text, durationMs };
    if (!verdict) return "Choose a verdict first (keys 1–5).";
    const v = PAIRWISE_VERDICTS.find((x) => x.id === verdict)!;
    const [a, b] = task.responses.map((r) => r.id) as [string, string];
    const ranking = v.winner === null ? [[a, b]] : v.winner === 0 ? [[a], [b]] : [[b], [a]];
    const crit = Object.fromEntries(
      Object.entries(criteria).map(([name, c]) => [name, c === "tie" ? [[a, b]] : c === "A" ? [[a], [b]] : [[b], [a]]]),
    );
    return { ranking, strength: v.strength, bothBad: bothBad || undefined, criteria: Object.keys(crit).length ? crit : undefined, rationale: text, durationMs };
  }, [task, rationale, project, kwise, verdict, criteria, bothBad]);

  /** One request at a time: shows "busy", reports a failure on screen. */
  const guarded = useCallback(async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }, []);

  const submit = useCallback(async () => {
    if (!task || busy) return;
    const body = buildVerdict();
    if (typeof body === "string") return setError(body);
    const clientId = clientIds.current.get(task.comparisonId) ?? crypto.randomUUID();
    clientIds.current.set(task.comparisonId, clientId);
    await guarded(async () => {
      const judgmentId = await submitVerdict(task.comparisonId, clientId, body);
      setLast({ judgmentId, task, at: Date.now() });
      setSessionCount((n) => n + 1);
      await advance(task);
    });
  }, [task, busy, buildVerdict, advance, guarded]);

  const skip = useCallback(async () => {
    if (!task || busy) return;
    await guarded(async () => {
      await skipTask(task.comparisonId, skipReason);
      setOverlay(null);
      await advance(task);
    });
  }, [task, busy, skipReason, advance, guarded]);

  const undo = useCallback(async () => {
    if (!last || busy || Date.now() - last.at > UNDO_WINDOW_MS) return;
    await guarded(async () => {
      await undoJudgment(last.judgmentId);
      clientIds.current.delete(last.task.comparisonId);
      setSessionCount((n) => n - 1);
      setLast(null);
      const current = task;
      show(last.task);
      // What was on screen goes back to being the prefetched task.
      if (current) prefetched.current = Promise.resolve(current);
    });
  }, [last, busy, task, show, guarded]);

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      const target = e.target as HTMLElement | null;
      if (target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" || target.tagName === "SELECT")) {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && overlay === null) void submit();
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (overlay === "skip") {
        const n = Number(e.key);
        if (n >= 1 && n <= SKIP_REASONS.length) setSkipReason(SKIP_REASONS[n - 1]!);
        else if (e.key === "Enter") void skip();
        else if (e.key === "Escape") setOverlay(null);
        return;
      }
      if (overlay && (e.key === "Escape" || e.key === "?" || e.key === "i")) return setOverlay(null);
      if (e.key === "?") return setOverlay("help");
      if (e.key === "i") return setOverlay("instructions");
      if (!task) return;
      if (e.key === "Enter") return void submit();
      if (e.key === "s") return setOverlay("skip");
      if (e.key === "u") return void undo();
      if (project.mode === "pairwise") {
        const v = PAIRWISE_VERDICTS.find((x) => x.key === e.key && (project.allowTies || x.id !== "tie"));
        if (v) setVerdict(v.id);
        if (e.key === "b") setBothBad((x) => !x);
        return;
      }
      const n = kwise.order.length;
      const id = kwise.order[selected];
      if (e.key === "ArrowDown" || e.key === "j") {
        e.preventDefault();
        if (e.shiftKey && id) {
          setKwise(moveTo(kwise, id, selected + 1));
          setSelected(Math.min(n - 1, selected + 1));
        } else setSelected(Math.min(n - 1, selected + 1));
      } else if (e.key === "ArrowUp" || e.key === "k") {
        e.preventDefault();
        if (e.shiftKey && id) {
          setKwise(moveTo(kwise, id, selected - 1));
          setSelected(Math.max(0, selected - 1));
        } else setSelected(Math.max(0, selected - 1));
      } else if (e.key === "J" && id) {
        setKwise(moveTo(kwise, id, selected + 1));
        setSelected(Math.min(n - 1, selected + 1));
      } else if (e.key === "K" && id) {
        setKwise(moveTo(kwise, id, selected - 1));
        setSelected(Math.max(0, selected - 1));
      } else if (e.key === "t" && id && project.allowTies) {
        setKwise(toggleTie(kwise, id));
      } else if (/^[1-9]$/.test(e.key) && Number(e.key) <= n) {
        setSelected(Number(e.key) - 1);
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [task, overlay, submit, skip, undo, project, kwise, selected]);

  const canUndo = last !== null && Date.now() - last.at <= UNDO_WINDOW_MS;

  return (
    <div className="min-w-0 space-y-4">
      <header className="flex flex-wrap items-center gap-x-4 gap-y-2">
        <h1 className="text-xl font-semibold">{project.name}</h1>
        <span className="text-sm text-slate-600" data-testid="session-count">
          {sessionCount} judged this session · {initialJudged + sessionCount} in this project
        </span>
        <div className="ml-auto flex gap-2 text-sm">
          <button type="button" onClick={() => setOverlay("instructions")} className="rounded-md border border-slate-300 bg-white px-2 py-1">
            <kbd className="mr-1 text-xs opacity-70">i</kbd>Instructions
          </button>
          <button type="button" onClick={() => setOverlay("help")} className="rounded-md border border-slate-300 bg-white px-2 py-1">
            <kbd className="mr-1 text-xs opacity-70">?</kbd>Keys
          </button>
        </div>
      </header>

      {error && (
        <p role="alert" data-testid="task-error" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {error}
        </p>
      )}

      {task === undefined && <p className="text-slate-500">Loading…</p>}
      {task === null && (
        <div className="rounded-lg border border-emerald-200 bg-emerald-50 p-6 text-center" data-testid="all-done">
          <p className="font-medium text-emerald-800">Nothing left for you in this project. Thank you!</p>
          {canUndo && (
            <button type="button" onClick={() => void undo()} className="mt-3 rounded-md border border-slate-300 bg-white px-3 py-1 text-sm">
              <kbd className="mr-1 text-xs opacity-70">u</kbd>Undo last judgment
            </button>
          )}
        </div>
      )}

      {task && (
        <div className="min-w-0 space-y-4" data-testid="task" data-comparison-id={task.comparisonId}>
          <Conversation messages={task.prompt} />
          {project.mode === "pairwise" ? (
            <PairwisePanel
              task={task}
              verdict={verdict}
              onVerdict={setVerdict}
              bothBad={bothBad}
              onBothBad={() => setBothBad((x) => !x)}
              allowTies={project.allowTies}
              criteria={project.criteria}
              criteriaVerdicts={criteria}
              onCriterion={(name, v) => setCriteria((c) => ({ ...c, [name]: v }))}
            />
          ) : (
            <KwisePanel task={task} state={kwise} onChange={setKwise} selected={selected} onSelect={setSelected} allowTies={project.allowTies} />
          )}
          <label className="block text-sm">
            <span className="font-medium">Rationale{project.requireRationale ? " (required)" : " (optional)"}</span>
            <textarea
              value={rationale}
              onChange={(e) => setRationale(e.target.value)}
              rows={2}
              className="mt-1 w-full rounded-md border border-slate-300 px-3 py-2"
              placeholder="Why? (Ctrl+Enter submits from here)"
            />
          </label>
          <div className="flex flex-wrap items-center gap-2">
            <button
              type="button"
              onClick={() => void submit()}
              disabled={busy}
              className="rounded-md bg-brand-600 px-4 py-2 font-medium text-white hover:bg-brand-700 disabled:opacity-60"
            >
              <kbd className="mr-1 text-xs opacity-70">Enter</kbd>Submit
            </button>
            <button type="button" onClick={() => setOverlay("skip")} className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm">
              <kbd className="mr-1 text-xs opacity-70">s</kbd>Skip
            </button>
            {canUndo && (
              <button type="button" onClick={() => void undo()} className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm">
                <kbd className="mr-1 text-xs opacity-70">u</kbd>Undo last
              </button>
            )}
          </div>
        </div>
      )}

      {overlay && (
        <div role="dialog" aria-modal="true" className="fixed inset-0 z-10 flex items-center justify-center bg-slate-900/40 p-4" onClick={() => setOverlay(null)}>
          <div className="max-h-[85vh] w-full max-w-lg overflow-y-auto rounded-lg bg-white p-5 shadow-xl" onClick={(e) => e.stopPropagation()}>
            {overlay === "instructions" && (
              <>
                <h2 className="mb-2 font-semibold">Instructions</h2>
                {project.instructions ? <SafeMarkdown text={project.instructions} /> : <p className="text-sm text-slate-500">No instructions for this project.</p>}
              </>
            )}
            {overlay === "help" && <KeyHelp mode={project.mode} />}
            {overlay === "skip" && (
              <>
                <h2 className="mb-2 font-semibold">Skip this comparison</h2>
                <div className="space-y-1 text-sm">
                  {SKIP_REASONS.map((r, i) => (
                    <label key={r} className="flex items-center gap-2">
                      <input type="radio" name="skip-reason" checked={skipReason === r} onChange={() => setSkipReason(r)} />
                      <kbd className="text-xs opacity-70">{i + 1}</kbd> {r}
                    </label>
                  ))}
                </div>
                <button type="button" onClick={() => void skip()} className="mt-3 rounded-md bg-brand-600 px-3 py-1.5 text-sm text-white">
                  <kbd className="mr-1 text-xs opacity-70">Enter</kbd>Skip
                </button>
              </>
            )}
            <p className="mt-4 text-right text-xs text-slate-500">Esc closes</p>
          </div>
        </div>
      )}
    </div>
  );
}

function KeyHelp({ mode }: { mode: "pairwise" | "kwise" }) {
  const rows =
    mode === "pairwise"
      ? [
          ["1 – 5", "A much better … B much better (3 = tie)"],
          ["b", "both bad"],
        ]
      : [
          ["↑ ↓ or k j", "select a response"],
          ["Shift+↑ ↓ or K J", "move the selected response up or down"],
          ["t", "tie the selected response with the one above"],
          ["1 – 9", "select the response at that place"],
        ];
  return (
    <>
      <h2 className="mb-2 font-semibold">Keyboard shortcuts</h2>
      <table className="w-full text-sm">
        <tbody>
          {[...rows, ["Enter", "submit"], ["s", "skip with a reason"], ["u", "undo the last judgment (1 minute)"], ["i", "instructions"], ["?", "this help"]].map(([k, v]) => (
            <tr key={k}>
              <td className="py-0.5 pr-4 font-mono text-xs">{k}</td>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
