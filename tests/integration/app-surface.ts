// What the app serves, read from the filesystem as Next.js reads it: route handlers
// (app/**/route.ts and the HTTP methods each exports), pages and layouts (app/**/page.tsx,
// layout.tsx), and server actions (the exports of every "use server" module). The
// authorization matrix holds each of these against its table of expected rules, so a new
// one without a rule fails there.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");
const APP = path.join(ROOT, "app");

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** next-auth's own handler (sign-in, callbacks, CSRF token): its rules are next-auth's, tested in auth tests. */
const NOT_IN_MATRIX = new Set(["/api/auth/[...nextauth]"]);

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name.startsWith(".") ? [] : walk(full);
    return [full];
  });
}

/** "/admin/projects/[id]" for app/admin/projects/[id]/page.tsx; route groups "(…)" leave the URL as Next.js does. */
function urlPathOf(file: string): string {
  const segments = path
    .relative(APP, path.dirname(file))
    .split(path.sep)
    .filter((s) => s !== "" && !(s.startsWith("(") && s.endsWith(")")));
  return `/${segments.join("/")}`;
}

export type RouteFile = { path: string; file: string };

/** Every route handler file under app/ but next-auth's, by URL path. */
export function routeFiles(): RouteFile[] {
  return walk(APP)
    .filter((f) => /^route\.(ts|tsx|js)$/.test(path.basename(f)))
    .map((file) => ({ path: urlPathOf(file), file }))
    .filter((r) => !NOT_IN_MATRIX.has(r.path))
    .sort((a, b) => a.path.localeCompare(b.path));
}

export type PageFile = { kind: "page" | "layout"; path: string; file: string };

export function pageFiles(): PageFile[] {
  return walk(APP)
    .flatMap((file): PageFile[] => {
      const base = path.basename(file);
      if (/^page\.(tsx|ts|jsx|js)$/.test(base)) return [{ kind: "page", path: urlPathOf(file), file }];
      if (/^layout\.(tsx|ts|jsx|js)$/.test(base)) return [{ kind: "layout", path: urlPathOf(file), file }];
      return [];
    })
    .sort((a, b) => `${a.kind} ${a.path}`.localeCompare(`${b.kind} ${b.path}`));
}

/** The first permission a page's or layout's source asks requirePermission for, if any. */
export function requiredPermissionIn(source: string): string | undefined {
  return /requirePermission\(\s*"([\w.]+)"/.exec(source)?.[1];
}

export type ActionModule = { file: string; relative: string; source: string };

const USE_SERVER = /(^|\n)\s*["']use server["'];?/;
const DIRECTIVE_FIRST = /^(\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*["']use server["']/;

/**
 * Every module under app/ and lib/ that holds server actions. Only file-level "use server"
 * modules are supported: an inline action inside a component would escape the matrix, so
 * it is reported as an error here.
 */
export function actionModules(): { modules: ActionModule[]; inline: string[] } {
  const files = [...walk(APP), ...walk(path.join(ROOT, "lib"))].filter((f) => /\.(ts|tsx)$/.test(f));
  const modules: ActionModule[] = [];
  const inline: string[] = [];
  for (const file of files) {
    const source = readFileSync(file, "utf8");
    if (!USE_SERVER.test(source)) continue;
    const relative = path.relative(ROOT, file);
    if (DIRECTIVE_FIRST.test(source)) modules.push({ file, relative, source });
    else inline.push(relative);
  }
  return { modules: modules.sort((a, b) => a.relative.localeCompare(b.relative)), inline };
}

/** The permission each exported action's body asks requirePermission for (undefined: none), from the module's source. */
export function actionPermissions(source: string): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  const starts = [...source.matchAll(/export\s+(?:async\s+)?function\s+(\w+)/g)];
  starts.forEach((m, i) => {
    const body = source.slice(m.index, starts[i + 1]?.index ?? source.length);
    out.set(m[1]!, requiredPermissionIn(body));
  });
  return out;
}
