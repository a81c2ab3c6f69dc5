"use client";

import { useState } from "react";
import { SafeMarkdown } from "@/app/components/safe-markdown";
import type { Task } from "./task-client";

/** Ranking state: the responses top to bottom, and which of them tie with the one above. */
export type KwiseState = { order: string[]; tiedWithAbove: string[] };

export const letterOf = (task: Task, id: string) => "ABCDEFGHI"[task.responses.findIndex((r) => r.id === id)] ?? "?";

export function groupsOf(state: KwiseState): string[][] {
  const groups: string[][] = [];
  state.order.forEach((id, i) => {
    if (i > 0 && state.tiedWithAbove.includes(id)) groups.at(-1)!.push(id);
    else groups.push([id]);
  });
  return groups;
}

/** Moves `id` to index `to`; a moved item no longer ties with its old neighbour. */
export function moveTo(state: KwiseState, id: string, to: number): KwiseState {
  const order = state.order.filter((x) => x !== id);
  const target = Math.max(0, Math.min(order.length, to));
  order.splice(target, 0, id);
  const tiedWithAbove = state.tiedWithAbove.filter((x) => x !== id && order.indexOf(x) > 0);
  return { order, tiedWithAbove };
}

export function toggleTie(state: KwiseState, id: string): KwiseState {
  if (state.order.indexOf(id) <= 0) return state;
  const tied = state.tiedWithAbove.includes(id);
  return { ...state, tiedWithAbove: tied ? state.tiedWithAbove.filter((x) => x !== id) : [...state.tiedWithAbove, id] };
}

/** "1. C · 2. A = B · 4. D": competition ranking, ties share a place. */
export function rankingSummary(task: Task, state: KwiseState): string {
  let place = 1;
  return groupsOf(state)
    .map((g) => {
      const text = `${place}. ${g.map((id) => letterOf(task, id)).join(" = ")}`;
      place += g.length;
      return text;
    })
    .join(" · ");
}

export function KwisePanel(props: {
  task: Task;
  state: KwiseState;
  onChange: (s: KwiseState) => void;
  selected: number;
  onSelect: (i: number) => void;
  allowTies: boolean;
}) {
  const { task, state } = props;
  const [dragging, setDragging] = useState<string | null>(null);
  const byId = new Map(task.responses.map((r) => [r.id, r.text]));
  let place = 0;
  const placeOf = state.order.map((id, i) => {
    if (i === 0 || !state.tiedWithAbove.includes(id)) place = i + 1;
    return place;
  });

  return (
    <div className="space-y-3">
      <p className="rounded-md bg-brand-50 px-3 py-2 text-sm font-medium text-brand-700" data-testid="ranking-summary">
        Ranking: {rankingSummary(task, state)}
      </p>
      <ol aria-label="Ranking, best first" className="space-y-2">
        {state.order.map((id, i) => (
          <li
            key={id}
            data-testid={`rank-item-${letterOf(task, id)}`}
            draggable
            onDragStart={(e) => {
              setDragging(id);
              e.dataTransfer.setData("text/plain", id);
              e.dataTransfer.effectAllowed = "move";
            }}
            onDragEnd={() => setDragging(null)}
            onDragOver={(e) => e.preventDefault()}
            onDrop={(e) => {
              e.preventDefault();
              const dragged = e.dataTransfer.getData("text/plain") || dragging;
              if (dragged && dragged !== id) props.onChange(moveTo(state, dragged, i));
              setDragging(null);
            }}
            onClick={() => props.onSelect(i)}
            aria-selected={props.selected === i}
            className={`flex min-w-0 cursor-grab gap-3 rounded-lg border bg-white p-3 shadow-sm ${props.selected === i ? "border-brand-600 ring-2 ring-brand-600/30" : "border-slate-200"} ${dragging === id ? "opacity-50" : ""}`}
          >
            <div className="flex w-10 shrink-0 flex-col items-center gap-1">
              <span className="text-lg font-semibold text-slate-700" aria-label={`place ${placeOf[i]}`}>
                {placeOf[i]}
              </span>
              <span className="rounded bg-slate-100 px-1.5 text-xs font-semibold">{letterOf(task, id)}</span>
              {i > 0 && state.tiedWithAbove.includes(id) && <span className="text-[10px] text-slate-500">tie ↑</span>}
            </div>
            <div className="min-w-0 grow">
              <SafeMarkdown text={byId.get(id) ?? ""} />
            </div>
            <div className="flex shrink-0 flex-col gap-1">
              <button type="button" aria-label={`Move ${letterOf(task, id)} up`} onClick={() => props.onChange(moveTo(state, id, i - 1))} className="rounded border border-slate-300 px-2 text-xs">
                ↑
              </button>
              <button type="button" aria-label={`Move ${letterOf(task, id)} down`} onClick={() => props.onChange(moveTo(state, id, i + 1))} className="rounded border border-slate-300 px-2 text-xs">
                ↓
              </button>
              {props.allowTies && i > 0 && (
                <button type="button" aria-label={`Tie ${letterOf(task, id)} with the one above`} onClick={() => props.onChange(toggleTie(state, id))} className="rounded border border-slate-300 px-2 text-xs">
                  =
                </button>
              )}
            </div>
          </li>
        ))}
      </ol>
    </div>
  );
}
