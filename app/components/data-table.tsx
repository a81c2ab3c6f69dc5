import type { ReactNode } from "react";

type Header = string | { label: string; className: string };

/** The admin pages' table: header row, scrolls sideways on narrow screens instead of overflowing. */
export function DataTable({ headers, testId, children }: { headers: Header[]; testId?: string; children: ReactNode }) {
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
      <table className="w-full text-left text-sm" data-testid={testId}>
        <thead className="bg-slate-50 text-xs uppercase text-slate-500">
          <tr>
            {headers.map((h, i) => (
              <th key={i} className={typeof h === "string" ? "px-3 py-2" : h.className}>
                {typeof h === "string" ? h : h.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
