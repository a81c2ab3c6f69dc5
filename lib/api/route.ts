// The wrapper every /api/v1 handler goes through, in a fixed order: refuse cross-site
// browser requests (request-guard.ts) → authenticate (Bearer token or browser session) →
// check permission → parse → act.
import type { NextRequest } from "next/server";
import type { z } from "zod";
import { userForApiToken } from "@/lib/auth/api-tokens";
import { getSessionUser } from "@/lib/auth/current-user";
import { can, SESSION_ONLY, type Permission } from "@/lib/auth/permissions";
import { stillAllowed, type Caller } from "@/lib/auth/still-allowed";
import { nulMessage, nulPath } from "@/lib/db/nul-character";
import type { User } from "@/lib/db/schema";
import { ApiError, errorResponse, toErrorResponse } from "./errors";
import { readJsonBody } from "./json-body";
import { bearerToken, JSON_BODY_TYPES, refuseCrossSite, type BodyTypes } from "./request-guard";

type Params = Record<string, string | string[]>;
export type RouteContext<P extends Params> = {
  req: NextRequest;
  user: User;
  params: P;
  /** whether the caller still has this access (for answers that outlast the request: closeWhenAccessEnds) */
  stillAllowed: () => Promise<boolean>;
};

/**
 * The caller: by API token when an Authorization header is sent (any header, empty
 * included: a malformed one is a 401, never a fall-back to the cookie, which would let it
 * pass the cross-site guard as a token request), else by the browser session.
 */
async function authenticate(req: NextRequest): Promise<Caller | undefined> {
  if (req.headers.has("authorization")) {
    const token = bearerToken(req.headers);
    if (!token) throw new ApiError("unauthorized", "Authorization header must be 'Bearer <token>'");
    const user = await userForApiToken(token);
    if (!user) throw new ApiError("unauthorized", "Invalid, revoked, expired or disabled API token");
    return { user, via: "token", token };
  }
  const user = await getSessionUser();
  return user && { user, via: "session" };
}

export type RouteOptions = {
  /** body types a signed-in browser may send (JSON unless said otherwise; the import names its own) */
  bodyTypes?: BodyTypes;
};

/** A route handler made by withPermission, carrying the permission it checks (read by the authorization matrix test). */
export type GuardedHandler<P extends Params> = ((req: NextRequest, ctx: { params: Promise<P> }) => Promise<Response>) & { readonly permission: Permission };

export function withPermission<P extends Params = Params>(
  permission: Permission,
  handler: (ctx: RouteContext<P>) => Promise<Response>,
  options: RouteOptions = {},
): GuardedHandler<P> {
  const guarded = async (req: NextRequest, ctx: { params: Promise<P> }): Promise<Response> => {
    try {
      const refused = refuseCrossSite(req, options.bodyTypes ?? JSON_BODY_TYPES);
      if (refused) return refused;
      const caller = await authenticate(req);
      if (!caller) return errorResponse("unauthorized", "Sign in or send an API token");
      const { user } = caller;
      if (!can(user.role, permission)) return errorResponse("forbidden", `Your role (${user.role}) may not do this`);
      if (caller.via === "token" && SESSION_ONLY.has(permission)) return errorResponse("forbidden", "An API token may not do this; sign in (or use the CLI)");
      return await handler({ req, user, params: await ctx.params, stillAllowed: () => stillAllowed(caller, permission) });
    } catch (err) {
      return toErrorResponse(err);
    }
  };
  return Object.assign(guarded, { permission });
}

/** Parses a JSON body (at most JSON_BODY_MAX_BYTES, else 413) with a zod schema; bad JSON and invalid fields are 400s. */
export async function parseJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.output<S>> {
  return schema.parse(await readJsonBody(req));
}

/** Parses the query string with a zod schema (an object of strings); invalid parameters are 400s. */
export function parseQuery<S extends z.ZodType>(req: Request, schema: S): z.output<S> {
  const query = Object.fromEntries(new URL(req.url).searchParams);
  const at = nulPath(query); // %00, which a free-text parameter (the import's fileName) would carry into the database
  if (at !== undefined) throw new ApiError("invalid_input", nulMessage(at, "the query"));
  return schema.parse(query);
}
