// Runs before every page (not the API or static files: see `config`), prefetches included:
// whether a request is a prefetch is said by headers the client chooses, so skipping them
// would let any request skip the checks below.
// 1. a signed-in browser's POST to a page (a server action) must come from the site's
//    origin. Next.js checks server actions' Origin against Host itself, but lets a request
//    without Origin through and compares hosts only; here Origin must equal NEXTAUTH_URL's
//    origin exactly, as withPermission requires for the API (lib/api/request-guard.ts).
// 2. the page's Content-Security-Policy with a fresh nonce, on the response and on the
//    request, where Next.js reads it to put the nonce on its own scripts.
import { NextResponse, type NextRequest } from "next/server";
import { errorResponse } from "@/lib/api/errors";
import { hasSiteOrigin } from "@/lib/api/request-guard";
import { siteOrigin } from "@/lib/config/base-url";
import { contentSecurityPolicy, newNonce } from "@/lib/security/content-security-policy";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function proxy(request: NextRequest) {
  // Pages know only the session cookie (an API token means nothing to them), so an
  // Authorization header exempts nothing here.
  if (!SAFE_METHODS.has(request.method) && request.headers.has("cookie") && !hasSiteOrigin(request.headers)) {
    return errorResponse("forbidden", "Cross-origin request refused: a signed-in browser's request that changes data must come from this site");
  }
  const nonce = newNonce();
  const policy = contentSecurityPolicy({
    nonce,
    dev: process.env.NODE_ENV === "development",
    https: siteOrigin(request.headers).startsWith("https:"),
  });
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", policy);
  return response;
}

export const config = {
  matcher: ["/((?!api/|_next/static|_next/image|favicon.ico).*)"],
};
