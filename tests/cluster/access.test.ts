// Access taken away through one web process (a token revoked, a user disabled, a member
// removed) is refused by the other, which had the caller cached (lib/cache/access-cache.ts: a NOTIFY in the revoking transaction clears
// every process's caches).
import { describe, expect, it } from "vitest";
import { addMembers, api, cluster, consoles, expectJson, people, project, sleep } from "./fixtures";

/** The bound this suite holds the web processes to: a change made through one is in force in the other this soon. */
const ACCESS_BOUND_MS = 1_000;

/** Milliseconds from `since` (the change's answer) until `request` answers `status`, asking every 20 ms; fails past the bound. */
async function refusedWithin(request: () => Promise<Response>, status: number, since: number): Promise<number> {
  for (;;) {
    const res = await request();
    await res.arrayBuffer();
    const elapsed = Date.now() - since;
    if (res.status === status) return elapsed;
    if (elapsed > ACCESS_BOUND_MS) throw new Error(`still ${res.status} ${elapsed} ms after the change (bound ${ACCESS_BOUND_MS} ms)\n${consoles()}`);
    await sleep(20);
  }
}

describe("access across web processes", () => {
  it("a token revoked through web 1 is refused by web 2 within the bound", async () => {
    const [web1, web2] = cluster().webUrls;
    const [admin] = await people(1, "admin", "access-admin");
    const [alice] = await people(1, "annotator", "access-alice");
    const me = (url: string) => api(url, alice!.token, "GET", "/api/v1/me");
    // both processes have seen the token work, so each has its user cached
    for (const url of [web1, web2]) expect((await me(url)).status).toBe(200);
    const [token] = await expectJson<{ id: string }[]>(api(web1, alice!.token, "GET", "/api/v1/tokens"), 200, "list tokens");

    expect((await api(web1, admin!.token, "DELETE", `/api/v1/tokens/${token!.id}`)).status).toBe(204);
    const revokedAt = Date.now(); // web 1 has answered: the change is committed
    const ms = await refusedWithin(() => me(web2), 401, revokedAt);
    console.log(`[cluster] web 2 refused the revoked token ${ms} ms after web 1 revoked it`);
    expect((await me(web1)).status).toBe(401);
  });

  it("a user disabled through web 2 is refused by web 1 within the bound", async () => {
    const [web1, web2] = cluster().webUrls;
    const [admin] = await people(1, "admin", "access-admin");
    const [bob] = await people(1, "annotator", "access-bob");
    const me = (url: string) => api(url, bob!.token, "GET", "/api/v1/me");
    for (const url of [web1, web2]) expect((await me(url)).status).toBe(200);

    await expectJson(api(web2, admin!.token, "PATCH", `/api/v1/users/${bob!.id}`, { disabled: true }), 200, "disable");
    const disabledAt = Date.now();
    const ms = await refusedWithin(() => me(web1), 401, disabledAt);
    console.log(`[cluster] web 1 refused the disabled user ${ms} ms after web 2 disabled them`);
  });

  it("a member removed through web 1 can no longer take tasks through web 2 within the bound", async () => {
    const [web1, web2] = cluster().webUrls;
    const [admin] = await people(1, "admin", "access-admin");
    const [carol] = await people(1, "annotator", "access-carol");
    const projectId = await project(web1, admin!, { name: "cluster access", mode: "pairwise", redundancy: 1 }, [
      { prompt: "Which is better?", responses: [{ text: "One.", source: "a" }, { text: "Two.", source: "b" }] },
      { prompt: "And now?", responses: [{ text: "Three.", source: "a" }, { text: "Four.", source: "b" }] },
    ]);
    await addMembers(web1, admin!, projectId, [carol!]);
    const next = (url: string) => api(url, carol!.token, "GET", `/api/v1/projects/${projectId}/tasks/next`);
    // web 2 has her membership cached (a task leased through it)
    expect((await next(web2)).status).toBe(200);

    await expectJson(api(web1, admin!.token, "DELETE", `/api/v1/projects/${projectId}/members/${carol!.id}`), 200, "remove member");
    const removedAt = Date.now();
    const ms = await refusedWithin(() => next(web2), 403, removedAt);
    console.log(`[cluster] web 2 refused the removed member ${ms} ms after web 1 removed her`);
  });
});
