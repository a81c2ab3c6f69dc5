// The address users reach this app at, for links we hand out (invites): NEXTAUTH_URL when
// set (npm start sets it), else the request's own host.
type HeaderBag = { get(name: string): string | null };

export function publicBaseUrl(headers: HeaderBag): string {
  if (process.env.NEXTAUTH_URL) return process.env.NEXTAUTH_URL.replace(/\/$/, "");
  const host = headers.get("x-forwarded-host") ?? headers.get("host") ?? "localhost:3000";
  const proto = headers.get("x-forwarded-proto") ?? "http";
  return `${proto}://${host}`;
}
