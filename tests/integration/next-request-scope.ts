// Runs server code inside the request scope Next.js gives a route handler, page or server
// action, so that cookies(), headers(), redirect(), forbidden() and revalidatePath() behave
// as they do in the running app. Next.js has no public API for this: these are the stores
// its app-route and app-page modules set up (next/dist, pinned by package-lock). If an
// upgrade moves them, the authorization matrix fails loudly here rather than passing.
import { AsyncLocalStorage } from "node:async_hooks";
import { createRequire } from "node:module";

// Next.js's server puts AsyncLocalStorage on globalThis before loading anything
// (node-environment-baseline); without it its stores are stand-ins that throw. Import this
// module before any other module that loads next/.
(globalThis as { AsyncLocalStorage?: unknown }).AsyncLocalStorage ??= AsyncLocalStorage;
const require = createRequire(import.meta.url);
const { workAsyncStorage } = require("next/dist/server/app-render/work-async-storage.external") as { workAsyncStorage: { run<T>(store: unknown, fn: () => T): T } };
const { workUnitAsyncStorage } = require("next/dist/server/app-render/work-unit-async-storage.external") as { workUnitAsyncStorage: { run<T>(store: unknown, fn: () => T): T } };
const { createRequestStoreForAPI } = require("next/dist/server/async-storage/request-store") as {
  createRequestStoreForAPI(req: { headers: Headers }, url: { pathname: string; search?: string }, implicitTags: unknown, onUpdateCookies: undefined, previewProps: unknown): { phase: string };
};

/** What forbidden() needs: next.config.js's experimental.authInterrupts, which next build sets in the server's environment. */
process.env.__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS ??= "true";

export type Phase = "action" | "render";

/** Calls fn as Next.js calls a route handler or server action ("action") or a page ("render") for a request to `url` with `headers`. */
export function inRequestScope<T>(url: string, headers: HeadersInit, phase: Phase, fn: () => Promise<T>): Promise<T> {
  const { pathname, search } = new URL(url);
  const requestStore = createRequestStoreForAPI({ headers: new Headers(headers) }, { pathname, search }, { tags: [], expirationsByCacheKind: new Map() }, undefined, {
    previewModeId: "",
    previewModeEncryptionKey: "",
    previewModeSigningKey: "",
  });
  requestStore.phase = phase;
  const workStore = { page: pathname, route: pathname, incrementalCache: {}, forceStatic: false, dynamicShouldError: false, isStaticGeneration: false };
  return workAsyncStorage.run(workStore, () => workUnitAsyncStorage.run(requestStore, fn));
}

export type Interrupt = { redirect: string } | { status: 403 | 404 };

/** The redirect(), forbidden() or notFound() a page or action threw, as Next.js would answer it; undefined for anything else. */
export function interruptOf(err: unknown): Interrupt | undefined {
  const digest = (err as { digest?: unknown } | null)?.digest;
  if (typeof digest !== "string") return undefined;
  if (digest.startsWith("NEXT_REDIRECT;")) return { redirect: digest.split(";").slice(2, -2).join(";") };
  if (digest === "NEXT_HTTP_ERROR_FALLBACK;403") return { status: 403 };
  if (digest === "NEXT_HTTP_ERROR_FALLBACK;404") return { status: 404 };
  return undefined;
}
