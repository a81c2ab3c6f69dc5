// Where to send a user after sign-in: the `callbackUrl` they came with, if it stays on this
// site, else the start page. Browsers read `/\evil.com` and `/<tab>/evil.com` as
// `//evil.com`, another site, and a value can arrive encoded once more than the browser
// will decode it; so backslashes and control characters are refused in every decoding, the
// value is resolved against the site's origin as a browser would, and only a path on that
// origin is kept.
const UNSAFE = /[\\\x00-\x1f\x7f]/;
const MAX_DECODINGS = 3;

function hasUnsafeDecoding(raw: string): boolean {
  let value = raw;
  for (let i = 0; i <= MAX_DECODINGS; i++) {
    if (UNSAFE.test(value)) return true;
    let decoded: string;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      return true; // malformed escapes: nothing we hand out looks like this
    }
    if (decoded === value) return false;
    value = decoded;
  }
  return true;
}

/** A path (with query and fragment) on `origin` for `raw`, or "/" when it would leave the site. */
export function callbackPath(raw: unknown, origin: string): string {
  if (typeof raw !== "string" || raw === "" || raw.length > 2048 || hasUnsafeDecoding(raw)) return "/";
  let url: URL;
  try {
    url = new URL(raw, origin);
  } catch {
    return "/";
  }
  if (url.origin !== origin || url.username || url.password) return "/";
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.startsWith("//") ? "/" : path;
}
