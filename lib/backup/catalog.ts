// What a backup reads from PostgreSQL's catalog rather than from a list kept by hand, so a
// table or column added by a later migration is backed up without touching this code:
// the application's tables (schema public) in foreign-key order, each table's columns,
// primary key and serial columns, and which columns point at users.
import type pg from "pg";

export type TableInfo = {
  name: string;
  /** every column but generated ones, in the table's order */
  columns: string[];
  /** the primary key's columns (a stable order for the rows) */
  primaryKey: string[];
  /** columns filled from a sequence (bigserial): reset after a load */
  serial: string[];
};

type Queryable = Pick<pg.ClientBase, "query">;

/** The public schema's tables, each after every table it references (a table referencing itself is allowed). */
export async function tablesInDependencyOrder(db: Queryable): Promise<TableInfo[]> {
  const { rows: tables } = await db.query<{ name: string }>(
    "select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind in ('r', 'p') order by c.relname",
  );
  const { rows: columns } = await db.query<{ table: string; column: string; serial: boolean }>(
    `select table_name as table, column_name as column, coalesce(column_default like 'nextval(%', false) as serial
       from information_schema.columns
      where table_schema = 'public' and is_generated = 'NEVER'
      order by table_name, ordinal_position`,
  );
  const { rows: keys } = await db.query<{ table: string; columns: string[] }>(
    `select c.conrelid::regclass::text as table, array_agg(a.attname::text order by k.ord) as columns
       from pg_constraint c
       join pg_namespace n on n.oid = c.connamespace and n.nspname = 'public'
       cross join lateral unnest(c.conkey) with ordinality k(attnum, ord)
       join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
      where c.contype = 'p'
      group by c.conrelid`,
  );
  const { rows: refs } = await db.query<{ table: string; references: string }>(
    `select c.conrelid::regclass::text as table, c.confrelid::regclass::text as references
       from pg_constraint c join pg_namespace n on n.oid = c.connamespace and n.nspname = 'public'
      where c.contype = 'f'`,
  );
  const info = new Map<string, TableInfo>(tables.map((t) => [t.name, { name: t.name, columns: [], primaryKey: [], serial: [] }]));
  for (const c of columns) {
    const t = info.get(c.table);
    if (!t) continue;
    t.columns.push(c.column);
    if (c.serial) t.serial.push(c.column);
  }
  for (const k of keys) {
    const t = info.get(unquote(k.table));
    if (t) t.primaryKey = k.columns;
  }
  const dependsOn = new Map<string, Set<string>>(tables.map((t) => [t.name, new Set()]));
  for (const r of refs) {
    const from = unquote(r.table);
    const to = unquote(r.references);
    if (from !== to && dependsOn.has(to)) dependsOn.get(from)?.add(to);
  }
  // Kahn's algorithm, alphabetical among the ready ones, so the order is the same every time
  const order: TableInfo[] = [];
  const done = new Set<string>();
  while (order.length < info.size) {
    const ready = [...info.keys()].filter((t) => !done.has(t) && [...dependsOn.get(t)!].every((d) => done.has(d)));
    if (ready.length === 0) throw new Error(`foreign keys form a cycle among: ${[...info.keys()].filter((t) => !done.has(t)).join(", ")}`);
    for (const t of ready.sort()) {
      done.add(t);
      order.push(info.get(t)!);
    }
  }
  return order;
}

/** Columns of public tables that reference users(id): remapped when a bundle's users are matched by email. */
export async function columnsReferencingUsers(db: Queryable): Promise<{ table: string; column: string }[]> {
  const { rows } = await db.query<{ table: string; column: string }>(
    `select c.conrelid::regclass::text as table, a.attname::text as column
       from pg_constraint c
       join pg_namespace n on n.oid = c.connamespace and n.nspname = 'public'
       join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
      where c.contype = 'f' and c.confrelid = 'public.users'::regclass and array_length(c.conkey, 1) = 1
      order by 1, 2`,
  );
  return rows.map((r) => ({ table: unquote(r.table), column: r.column }));
}

/** regclass::text quotes names that need it; ours never do, but strip quotes if present. */
function unquote(name: string): string {
  return name.replace(/^public\./, "").replace(/^"(.*)"$/, "$1");
}

/** A double-quoted identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Sets each serial column's sequence to the largest value loaded (or back to its start for an empty table). */
export async function resetSequences(db: Queryable, tables: TableInfo[]): Promise<void> {
  for (const t of tables) {
    for (const c of t.serial) {
      await db.query(
        `select setval(pg_get_serial_sequence($1, $2), coalesce(max(${ident(c)}), 1), max(${ident(c)}) is not null) from ${ident(t.name)}`,
        [`public.${t.name}`, c],
      );
    }
  }
}
