// The password sign-in limit holds across web processes (issue 20): wrong passwords sent
// alternately through web 1 and web 2 from one client address count together, in
// PostgreSQL (lib/auth/sign-in-limit.ts), so the limit is reached with neither process
// having seen it alone, and both then refuse. Each test signs in from a loopback address
// of its own (127.0.0.x all reach the web processes, which see them as different clients),
// so the limits they use up touch no other test.
import http from "node:http";
import { describe, expect, it } from "vitest";
import { SIGN_IN_ERRORS } from "@/lib/auth/password-sign-in";
import { env } from "@/lib/config/env";
import { createUser } from "@/lib/users/users";
import { cluster, consoles } from "./fixtures";

const PASSWORD = "the owner's right password";

/** The web processes' limit: they start with this test process's environment (global-setup). */
const { SIGNIN_MAX_FAILURES: MAX, SIGNIN_WINDOW_MINUTES: WINDOW_MIN } = env();
/** Attempts from one address, across emails, within the window (sign-in-limit.ts, rule 2). */
const ADDRESS_MAX = 4 * MAX;

type Answer = { status: number; body: string; cookies: string[] };

function call(base: string, localAddress: string, method: string, path: string, body?: string, cookie?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      {
        method,
        localAddress,
        timeout: 30_000,
        headers: { origin: base, ...(cookie ? { cookie } : {}), ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, cookies: (res.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]!) }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${base}${path}: no answer in 30 s`)));
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * A password sign-in through next-auth's own endpoints on the web process at `base`, from
 * `localAddress` (the address the limit is keyed on): "ok", or the error next-auth reports.
 */
async function signIn(base: string, localAddress: string, email: string, password: string): Promise<string> {
  const csrf = await call(base, localAddress, "GET", "/api/auth/csrf");
  if (csrf.status !== 200) throw new Error(`csrf from ${base}: ${csrf.status} ${csrf.body.slice(0, 300)}\n${consoles()}`);
  const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
  const form = new URLSearchParams({ csrfToken, email, password, json: "true", callbackUrl: base });
  const res = await call(base, localAddress, "POST", "/api/auth/callback/credentials", form.toString(), csrf.cookies.join("; "));
  // next-auth answers a refused sign-in 401, with the error in the URL as for a success's 200
  if (res.status !== 200 && res.status !== 401) throw new Error(`sign-in through ${base}: ${res.status} ${res.body.slice(0, 300)}\n${consoles()}`);
  const { url } = JSON.parse(res.body) as { url: string };
  return new URL(url).searchParams.get("error") ?? "ok";
}

async function anAccount(label: string): Promise<string> {
  const email = `${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@cluster.test`;
  await createUser({ email, role: "annotator", password: PASSWORD });
  return email;
}

const LIMITED = SIGN_IN_ERRORS.rateLimited(WINDOW_MIN);

describe("the sign-in limit across web processes", () => {
  it(`locks (email, address) after ${MAX} wrong passwords sent through both web processes together, refused by both`, async () => {
    const webs = cluster().webUrls;
    const address = "127.0.0.21";
    const email = await anAccount("limit-pair");
    const seen = [0, 0]; // wrong passwords each web process checked
    for (let i = 0; i < MAX; i++) {
      expect(await signIn(webs[i % 2]!, address, email, `wrong-${i}`)).toBe(SIGN_IN_ERRORS.wrongPassword);
      seen[i % 2]!++;
    }
    // a limit kept per process would still let the right password in through either
    for (const n of seen) expect(n).toBeLessThan(MAX);
    for (const web of webs) expect(await signIn(web, address, email, PASSWORD)).toBe(LIMITED);
    // the pair is locked, not the account: the owner from elsewhere gets in
    expect(await signIn(webs[1], "127.0.0.22", email, PASSWORD)).toBe("ok");
  });

  it(`refuses an address after ${ADDRESS_MAX} failures across emails through both web processes together`, async () => {
    const webs = cluster().webUrls;
    const address = "127.0.0.23";
    const seen = [0, 0];
    for (let i = 0; i < ADDRESS_MAX; i++) {
      // a new unknown email each time: no pair and no email comes near its own limit
      expect(await signIn(webs[i % 2]!, address, `nobody-${i}-${Date.now().toString(36)}@cluster.test`, "a sprayed password")).toBe(SIGN_IN_ERRORS.wrongPassword);
      seen[i % 2]!++;
    }
    for (const n of seen) expect(n).toBeLessThan(ADDRESS_MAX);
    const email = await anAccount("limit-address");
    for (const web of webs) expect(await signIn(web, address, email, PASSWORD)).toBe(LIMITED);
    expect(await signIn(webs[0], "127.0.0.24", email, PASSWORD)).toBe("ok");
  });
});
