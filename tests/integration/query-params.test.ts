// Query parameters are validated: a bad value is a 400 naming it, never a database error.
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { GET as recentJudgmentsRoute } from "@/app/api/v1/projects/[id]/judgments/route";
import { GET as leaderboardRoute } from "@/app/api/v1/projects/[id]/leaderboard/route";
import { GET as nextTaskRoute } from "@/app/api/v1/projects/[id]/tasks/next/route";
import { POST as submitRoute } from "@/app/api/v1/judgments/route";
import { createApiToken } from "@/lib/auth/api-tokens";
import { createProject } from "@/lib/projects/projects";
import { createUser } from "@/lib/users/users";
import { importText, ndjson, responseRecords } from "./fixtures";
import { uniqueEmail } from "./helpers";

async function anAdmin() {
  return (await createUser({ email: uniqueEmail("admin"), role: "admin", password: "a long enough password" })).user;
}

type Route = (req: NextRequest, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;

async function call(route: Route, token: string, url: string, id: string, init: { method?: string; body?: string } = {}) {
  const headers = { authorization: `Bearer ${token}`, ...(init.body ? { "content-type": "application/json" } : {}) };
  const res = await route(new NextRequest(`http://localhost${url}`, { method: init.method ?? "GET", headers, body: init.body }), { params: Promise.resolve({ id }) });
  return { status: res.status, body: res.status === 204 ? null : ((await res.json()) as { error?: { code: string; message: string } }) };
}

describe("query parameters", () => {
  it("answer 400 for a negative limit, a malformed time or id, and an unknown value", async () => {
    const admin = await anAdmin();
    const project = await createProject({ name: "query" }, admin.id);
    await importText(project, ndjson(responseRecords(2)));
    const { token } = await createApiToken(admin.id, "t");
    const base = `/api/v1/projects/${project.id}`;

    const bad: [Route, string, RegExp][] = [
      [recentJudgmentsRoute, `${base}/judgments?limit=-1`, /limit/],
      [recentJudgmentsRoute, `${base}/judgments?limit=abc`, /limit/],
      [recentJudgmentsRoute, `${base}/judgments?before=yesterday`, /before/],
      [recentJudgmentsRoute, `${base}/judgments?limti=5`, /limti/],
      [nextTaskRoute, `${base}/tasks/next?exclude=not-a-uuid`, /exclude/],
      [leaderboardRoute, `${base}/leaderboard?control=bogus`, /control/],
      [leaderboardRoute, `${base}/leaderboard?control=length&model=luce`, /style control/],
    ];
    for (const [route, url, message] of bad) {
      const { status, body } = await call(route, token, url, project.id);
      expect(status, url).toBe(400);
      expect(body?.error?.code, url).toBe("invalid_input");
      expect(body?.error?.message, url).toMatch(message);
    }

    const good: [Route, string][] = [
      [recentJudgmentsRoute, `${base}/judgments?limit=5&before=2030-01-01T00:00:00Z`],
      [leaderboardRoute, `${base}/leaderboard?control=length`],
      [nextTaskRoute, `${base}/tasks/next?exclude=${crypto.randomUUID()},${crypto.randomUUID()}`],
    ];
    for (const [route, url] of good) expect((await call(route, token, url, project.id)).status, url).toBeLessThan(300);
  });

  it("answer 400 for a submit's unknown ?next value before writing anything", async () => {
    const admin = await anAdmin();
    const { token } = await createApiToken(admin.id, "t");
    const body = JSON.stringify({ comparisonId: crypto.randomUUID(), clientId: crypto.randomUUID(), ranking: [[crypto.randomUUID()], [crypto.randomUUID()]] });
    const { status, body: answer } = await call(submitRoute as Route, token, "/api/v1/judgments?next=yes", "", { method: "POST", body });
    expect(status).toBe(400);
    expect(answer?.error?.message).toMatch(/next/);
  });
});
