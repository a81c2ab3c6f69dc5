/** A labelled figure on an admin page. */
export function Stat(props: { label: string; value: string; hint?: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-3 shadow-sm">
      <div className="text-xs uppercase tracking-wide text-slate-500">{props.label}</div>
      <div className="mt-1 text-lg font-semibold">{props.value}</div>
      {props.hint && <div className="text-xs text-slate-500">{props.hint}</div>}
    </div>
  );
}
