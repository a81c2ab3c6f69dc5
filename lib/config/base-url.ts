// The address users reach this app at, for links we hand out (invites): NEXTAUTH_URL when
// set (npm start sets it), else the request's own host.
type HeaderBag = { get(name: string): string | null };

export function publicBaseUrl(headers: HeaderBag): string {
  if (process.env.NEXTAUTH_URL) return process.env.NEXTAUTH_URL.replace(/\/$/, "");
  const host = headers.get("x-forwarded-host") ?? headers.get("host") ?? "localhost:3000";
  const proto = headers.get("x-forwarded-proto") ?? "http";
  return `${proto}://${host}`;
}

/**
 * The site's origin (scheme, host, port), what a browser on this site sends as `Origin`.
 * Behind a reverse proxy NEXTAUTH_URL must be the address browsers use: the proxy's Host
 * may be an internal name, but the browser's Origin is the public one.
 */
export function siteOrigin(headers: HeaderBag): string {
  return new URL(publicBaseUrl(headers)).origin;
}
