import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IMPORT_BODY_TYPES, refuseCrossSite } from "@/lib/api/request-guard";

const SITE = "https://arbiter.example";

function request(method: string, headers: Record<string, string>, body?: string): Request {
  return new Request(`${SITE}/api/v1/projects`, { method, headers, body });
}

const session = { cookie: "next-auth.session-token=abc" };

describe("cross-site guard for cookie-authenticated requests", () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.NEXTAUTH_URL;
    process.env.NEXTAUTH_URL = `${SITE}/`;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.NEXTAUTH_URL;
    else process.env.NEXTAUTH_URL = saved;
  });

  it("lets a same-origin JSON request through", () => {
    expect(refuseCrossSite(request("POST", { ...session, origin: SITE, "content-type": "application/json; charset=utf-8" }, "{}"))).toBeUndefined();
    expect(refuseCrossSite(request("PATCH", { ...session, origin: SITE, "content-type": "application/merge-patch+json" }, "{}"))).toBeUndefined();
    // no body, no type: the annotator's undo (DELETE) and a round's cancel
    expect(refuseCrossSite(request("DELETE", { ...session, origin: SITE }))).toBeUndefined();
  });

  it("refuses another origin, a look-alike origin and a missing Origin with 403", async () => {
    for (const origin of ["http://evil.example", "https://arbiter.example.evil.example", "http://arbiter.example", "null", undefined]) {
      const headers: Record<string, string> = { ...session, "content-type": "application/json" };
      if (origin) headers.origin = origin;
      const res = refuseCrossSite(request("POST", headers, "{}"));
      expect(res?.status, String(origin)).toBe(403);
      expect(((await res!.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    }
  });

  it("refuses the body types a form or a no-preflight fetch can send with 415", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const res = refuseCrossSite(request("POST", { ...session, origin: SITE, "content-type": type }, "{}"));
      expect(res?.status, type).toBe(415);
      expect(((await res!.json()) as { error: { code: string } }).error.code).toBe("unsupported_media_type");
    }
    // a body without a type (a Blob with no type) is refused too
    expect(refuseCrossSite(request("POST", { ...session, origin: SITE, "content-length": "2" }, "{}"))?.status).toBe(415);
  });

  it("takes the import's own types where the route names them", () => {
    const csv = request("POST", { ...session, origin: SITE, "content-type": "text/csv" }, "a,b");
    expect(refuseCrossSite(csv)?.status).toBe(415);
    expect(refuseCrossSite(csv, IMPORT_BODY_TYPES)).toBeUndefined();
    for (const type of ["application/x-ndjson", "application/gzip", "application/vnd.apache.parquet"]) {
      expect(refuseCrossSite(request("POST", { ...session, origin: SITE, "content-type": type }, "x"), IMPORT_BODY_TYPES), type).toBeUndefined();
    }
    expect(refuseCrossSite(request("POST", { ...session, origin: SITE, "content-type": "text/plain" }, "x"), IMPORT_BODY_TYPES)?.status).toBe(415);
  });

  it("checks a cookie request whose Authorization header is not a well-formed bearer token", () => {
    for (const authorization of ["", "Basic eDp5", "Bearer", "Bearer ", "Bearer a b", "Token arb_x"]) {
      const res = refuseCrossSite(request("POST", { ...session, authorization, origin: "http://evil.example", "content-type": "application/json" }, "{}"));
      expect(res?.status, JSON.stringify(authorization)).toBe(403);
    }
  });

  it("leaves token requests, cookie-less requests and reads alone", () => {
    const foreign = { origin: "http://evil.example", "content-type": "text/plain" };
    expect(refuseCrossSite(request("POST", { ...foreign, ...session, authorization: "Bearer arb_x" }, "{}"))).toBeUndefined();
    expect(refuseCrossSite(request("POST", foreign, "{}"))).toBeUndefined();
    expect(refuseCrossSite(request("GET", { ...foreign, ...session }))).toBeUndefined();
  });
});
