// Cross-site request forgery guard for cookie-authenticated requests that change state.
// A browser attaches the session cookie to requests other sites make it send, so such a
// request must come from a page of this site (its `Origin`) and carry a body type that a
// plain HTML form or a no-preflight fetch cannot send. Requests with a well-formed
// `Authorization: Bearer <token>` header (API tokens) carry no ambient credentials and are
// not checked; nor are requests without any cookie, which cannot be signed in. Any other
// Authorization header (empty, Basic, a bare "Bearer") does not exempt a request, and
// authenticate() refuses it rather than falling back to the cookie.
import { siteOrigin } from "@/lib/config/base-url";
import { errorResponse } from "./errors";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

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

/**
 * 403 for a cookie-authenticated state change from another origin (or without `Origin`),
 * 415 for one whose body type is not accepted; undefined when the request may go on.
 */
export function refuseCrossSite(req: Request, accepted: BodyTypes = JSON_BODY_TYPES): Response | undefined {
  if (SAFE_METHODS.has(req.method) || !isCookieRequest(req.headers)) return undefined;
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
