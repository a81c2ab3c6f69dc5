// The pages' Content-Security-Policy (proxy.ts sets it with a fresh nonce per request;
// the API's fixed policy and the other security headers are in next.config.js).
// Scripts run only with this response's nonce: Next.js reads the nonce from the request's
// policy header and puts it on its bootstrap and chunk scripts, and 'strict-dynamic'
// extends trust to the chunks those load (Next.js docs, guides/content-security-policy).
// Images come from this site or data: URLs only, so markdown imported into prompts and
// responses cannot make an annotator's browser call another site; connections
// (fetch, EventSource) go to this site only; no page may be framed (clickjacking).
// Inline style attributes stay allowed: recharts and React set them, and styles cannot
// run code or, with images and connections limited, send data away.
export function contentSecurityPolicy(opts: { nonce: string; dev: boolean; https: boolean }): string {
  const directives = [
    "default-src 'self'",
    // next dev reconstructs server error stacks with eval (the docs' development setting)
    `script-src 'self' 'nonce-${opts.nonce}' 'strict-dynamic'${opts.dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(opts.https ? ["upgrade-insecure-requests"] : []),
  ];
  return directives.join("; ");
}

/** 16 random bytes, base64: unguessable and new for every response. */
export function newNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
}
