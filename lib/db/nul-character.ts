// PostgreSQL's text and jsonb cannot hold U+0000 (NUL): an insert fails with "invalid byte
// sequence for encoding UTF8: 0x00" or "unsupported Unicode escape sequence". JSON, CSV and
// query strings can carry it (`\u0000`, `%00`), so input is checked for it before it reaches
// the database, where it would be an internal error (500) instead of the caller's (400).

/**
 * Where `value` (a parsed JSON value, an object of query parameters, an import record) holds
 * a NUL in a string or an object key: a dotted path ("" for the value itself), or undefined.
 */
export function nulPath(value: unknown): string | undefined {
  // an explicit stack: a deeply nested body must not exhaust the call stack here
  const stack: [unknown, string][] = [[value, ""]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === "string") {
      if (v.includes("\u0000")) return path;
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push([item, path ? `${path}.${i}` : String(i)]));
    } else if (v !== null && typeof v === "object") {
      for (const [k, item] of Object.entries(v)) {
        const at = path ? `${path}.${k}` : k;
        if (k.includes("\u0000")) return at;
        stack.push([item, at]);
      }
    }
  }
  return undefined;
}

/** The message for a NUL found at `path` (nulPath's answer). */
export function nulMessage(path: string, what = "the body"): string {
  return `${path || what}: text may not contain the NUL character (\\u0000), which the database cannot store`;
}
