// Cross-site request forgery guard for cookie-authenticated requests that change state.
// A browser attaches the session cookie to requests other sites make it send, so such a
// request must come from a page of this site (its `Origin`) and carry a body type that a
// plain HTML form or a no-preflight fetch cannot send. Requests with a well-formed
// `Authorization: Bearer <token>` header (API tokens) carry no ambient credentials and are
// not checked; nor are requests without any cookie, which cannot be signed in. Any other
// Authorization header (empty, Basic, a bare "Bearer") does not exempt a request, and
// authenticate() refuses it rather than falling back to the cookie.
//
// Reads (GET) with the cookie are checked too, by the Fetch Metadata headers browsers
// send (Sec-Fetch-Dest, Sec-Fetch-Site): some reads have effects (tasks/next leases a
// task, an export is recorded and costs work), and a page must not be able to make a
// signed-in browser send them by embedding the URL (an image, a script, a style sheet)
// or by navigating to it from another site. Only the site's own fetches and navigations,
// and ones the user starts (a typed URL, a bookmark), are served. A browser that sends
// no such headers is not checked (the cookie's SameSite=Lax still keeps other sites'
// embedded requests unauthenticated in current browsers).
import { siteOrigin } from "@/lib/config/base-url";
import { errorResponse } from "./errors";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Sec-Fetch-Dest of the API's legitimate browser requests: fetch, XHR, EventSource ("empty"), a navigation or download ("document"). */
const API_DESTINATIONS = new Set(["empty", "document"]);

/** Sec-Fetch-Site of requests the site or the user started: its own pages, or a typed URL or bookmark ("none"). */
const OWN_INITIATORS = new Set(["same-origin", "none"]);

/** Body types a JSON route accepts: application/json and any `+json` type. */
export const JSON_BODY_TYPES: readonly string[] = ["application/json"];

/**
 * Body types the import accepts from a browser. None is CORS-safelisted, so another site
 * cannot send them without a preflight this app never answers.
 */
export const IMPORT_BODY_TYPES: readonly string[] = [
  "application/x-ndjson",
  "application/jsonl",
  "application/jsonlines",
  "application/json",
  "text/csv",
  "application/gzip",
  "application/x-gzip",
  "application/vnd.apache.parquet",
  "application/octet-stream",
];

export type BodyTypes = readonly string[];

function mediaType(contentType: string | null): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

function declaresBody(headers: Headers): boolean {
  const length = headers.get("content-length");
  return (length !== null && length.trim() !== "0") || headers.has("transfer-encoding");
}

function acceptsType(type: string, accepted: BodyTypes): boolean {
  if (accepted.includes(type)) return true;
  return accepted.includes("application/json") && /^application\/[\w.+-]+\+json$/.test(type);
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** The token of a well-formed `Authorization: Bearer <token>` header; undefined for none or any other form. */
export function bearerToken(headers: Headers): string | undefined {
  return BEARER.exec(headers.get("authorization") ?? "")?.[1];
}

/** True when a request carries cookies and no API token: the guard applies to it. */
export function isCookieRequest(headers: Headers): boolean {
  return bearerToken(headers) === undefined && headers.has("cookie");
}

/** True when the request's `Origin` is this site's (NEXTAUTH_URL's origin). */
export function hasSiteOrigin(headers: Headers): boolean {
  return headers.get("origin") === siteOrigin(headers);
}

/** 403 for a cookie request the browser says is embedded in a page or started by another site; undefined otherwise. */
function refuseForeignFetch(headers: Headers): Response | undefined {
  const dest = headers.get("sec-fetch-dest");
  if (dest !== null && !API_DESTINATIONS.has(dest)) {
    return errorResponse("forbidden", `Request refused: the API does not answer a signed-in browser's ${dest} request (Sec-Fetch-Dest); use fetch or a link`);
  }
  const site = headers.get("sec-fetch-site");
  if (site !== null && !OWN_INITIATORS.has(site)) {
    return errorResponse("forbidden", `Request refused: a signed-in browser's request to the API must come from this site's pages, not another site (Sec-Fetch-Site: ${site})`);
  }
  return undefined;
}

/**
 * For a cookie-authenticated request: 403 for one embedded in a page or started by
 * another site (any method), for a state change from another origin (or without
 * `Origin`), 415 for a state change whose body type is not accepted; undefined when the
 * request may go on.
 */
export function refuseCrossSite(req: Request, accepted: BodyTypes = JSON_BODY_TYPES): Response | undefined {
  if (!isCookieRequest(req.headers)) return undefined;
  const foreign = refuseForeignFetch(req.headers);
  if (foreign) return foreign;
  if (SAFE_METHODS.has(req.method)) return undefined;
  const origin = req.headers.get("origin");
  const site = siteOrigin(req.headers);
  if (origin !== site) {
    return errorResponse(
      "forbidden",
      origin
        ? `Cross-origin request refused: ${origin} is not this site (${site}); behind a proxy, set NEXTAUTH_URL to the address browsers use`
        : "Request refused: a signed-in browser's request that changes data must carry an Origin header",
    );
  }
  const type = mediaType(req.headers.get("content-type"));
  if (type === "" ? declaresBody(req.headers) : !acceptsType(type, accepted)) {
    return errorResponse("unsupported_media_type", `Content-Type must be ${accepted.length === 1 ? accepted[0] : `one of ${accepted.join(", ")}`}`);
  }
  return undefined;
}
