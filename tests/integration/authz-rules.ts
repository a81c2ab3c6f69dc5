// The expected rules of the authorization matrix: for every route handler, page, layout
// and server action the app has (app-surface.ts reads them from the filesystem), the
// permission it must check (lib/auth/permissions.ts says which roles hold it) and what a
// principal that passes the check gets. What a principal that fails it gets is not written
// here but derived (authz-matrix.test.ts): 401 / sign-in for no or refused credentials,
// 403 for a role without the permission, 403 for a token on a SESSION_ONLY permission.
//
// A new route, page or action fails the matrix until it has a row here.
import { randomUUID } from "node:crypto";
import type { Permission } from "@/lib/auth/permissions";
import type { Fixture, Principal } from "./authz-fixture";
import { uniqueEmail } from "./helpers";

type Maybe<T> = T | Promise<T>;

/** One request: path parameters, a query string, and a JSON or raw body. */
export type Call = { params?: Record<string, string>; query?: string; json?: unknown; raw?: { body: string; type: string } };

export type RouteRule = {
  /** the permission withPermission names; "public" for a handler that checks none */
  permission: Permission | "public";
  /** the request each principal sends (built before each call: it may make a throwaway target) */
  request?: (fx: Fixture, p: Principal) => Maybe<Call>;
  /** the status for a principal that passes the check (everyone, for a public route) */
  ok: number;
  /** where an annotator who is not a member of the project gets something else */
  outsider?: number;
};

const anyId = () => randomUUID();
const pid = (fx: Fixture) => ({ id: fx.project.id });

async function judgmentBody(fx: Fixture): Promise<{ id: string; body: Record<string, unknown> }> {
  const c = await fx.freshComparison();
  return { id: c.id, body: { clientId: randomUUID(), ranking: [[c.responseIds[0]], [c.responseIds[1]]], durationMs: 1200 } };
}

export const ROUTE_RULES: Record<string, RouteRule> = {
  // Outside /api/v1: no permission, by design.
  "POST /api/bench/baseline": { permission: "public", ok: 404 }, // 404 unless ARBITER_BENCH=1 (benchmarks only)
  "GET /api/health": { permission: "public", ok: 200 }, // load balancers ask it; it names no data

  // Annotation: annotators of the project (and admins); another project's annotator is refused.
  "GET /api/v1/projects/[id]/tasks/next": { permission: "annotate", request: (fx) => ({ params: pid(fx) }), ok: 200, outsider: 403 },
  "POST /api/v1/judgments": {
    permission: "annotate",
    request: async (fx) => {
      const { id, body } = await judgmentBody(fx);
      return { json: { ...body, comparisonId: id } };
    },
    ok: 201,
    outsider: 403,
  },
  "POST /api/v1/comparisons/[id]/judgments": {
    permission: "annotate",
    request: async (fx) => {
      const { id, body } = await judgmentBody(fx);
      return { params: { id }, json: body };
    },
    ok: 201,
    outsider: 403,
  },
  "POST /api/v1/comparisons/[id]/skip": { permission: "annotate", request: (fx) => ({ params: { id: fx.shared.id }, json: { reason: "matrix" } }), ok: 204, outsider: 403 },
  // undo: one's own recent judgment; the outsider has none here (it tries a member's)
  "DELETE /api/v1/judgments/[id]": { permission: "annotate", request: async (fx, p) => ({ params: { id: await fx.judgmentOf(p.user) } }), ok: 200, outsider: 404 },
  "GET /api/v1/projects/[id]": { permission: "projects.read", request: (fx) => ({ params: pid(fx) }), ok: 200, outsider: 403 },
  "GET /api/v1/projects/[id]/leaderboard": { permission: "projects.read", request: (fx) => ({ params: pid(fx) }), ok: 200, outsider: 403 },
  "GET /api/v1/projects": { permission: "projects.read", ok: 200 }, // an annotator's own projects only

  // One's own account.
  "GET /api/v1/me": { permission: "self.read", ok: 200 },
  // the current password is wrong: 400 shows the check was passed without changing anything
  "POST /api/v1/me/password": { permission: "self.manage", request: () => ({ json: { currentPassword: "not the password at all", newPassword: "another long password" } }), ok: 400 },
  "DELETE /api/v1/me/sessions": { permission: "self.manage", ok: 204 },
  "POST /api/v1/tokens": { permission: "tokens.create", request: () => ({ json: { name: "matrix", expiresInDays: 1 } }), ok: 201 },
  "GET /api/v1/tokens": { permission: "tokens.manage", ok: 200 },
  "DELETE /api/v1/tokens/[id]": { permission: "tokens.manage", request: async (fx, p) => ({ params: { id: await fx.throwawayToken(p.user) } }), ok: 204 },

  // Admins: users and invites.
  "GET /api/v1/users": { permission: "users.read", ok: 200 },
  "PATCH /api/v1/users/[id]": { permission: "users.manage", request: (fx) => ({ params: { id: fx.victim.id }, json: { disabled: false } }), ok: 200 },
  "POST /api/v1/users/[id]/password": { permission: "users.password", request: (fx) => ({ params: { id: fx.victim.id }, json: {} }), ok: 200 },
  "DELETE /api/v1/users/[id]/sessions": { permission: "users.manage", request: (fx) => ({ params: { id: fx.victim.id } }), ok: 204 },
  "POST /api/v1/invites": { permission: "invites.create", request: () => ({ json: { email: uniqueEmail("invitee"), role: "annotator" } }), ok: 201 },

  // Admins: projects, their data and members.
  "POST /api/v1/projects": { permission: "projects.manage", request: () => ({ json: { name: `matrix ${randomUUID().slice(0, 6)}` } }), ok: 201 },
  "PATCH /api/v1/projects/[id]": { permission: "projects.manage", request: (fx) => ({ params: pid(fx), json: { instructions: "Pick the better answer." } }), ok: 200 },
  "POST /api/v1/projects/[id]/import": {
    permission: "projects.manage",
    request: (fx) => ({ params: pid(fx), query: "dryRun=1", raw: { body: `${JSON.stringify({ prompt: "q", responses: [{ text: "a", source: "m1" }, { text: "b", source: "m2" }] })}\n`, type: "application/x-ndjson" } }),
    ok: 200,
  },
  // a folder that is not there: the check passes, the registration is refused (400)
  "POST /api/v1/projects/[id]/models": { permission: "projects.manage", request: (fx) => ({ params: pid(fx), json: { kind: "policy", dir: "no-such-model" } }), ok: 400 },
  "GET /api/v1/projects/[id]/export": { permission: "projects.manage", request: (fx) => ({ params: pid(fx), query: "format=pairwise" }), ok: 200 },
  "GET /api/v1/projects/[id]/export/card": { permission: "projects.manage", request: (fx) => ({ params: pid(fx), query: "format=pairwise" }), ok: 200 },
  "GET /api/v1/projects/[id]/export/preview": { permission: "projects.manage", request: (fx) => ({ params: pid(fx), query: "format=pairwise" }), ok: 200 },
  "GET /api/v1/projects/[id]/demonstrations": { permission: "projects.manage", request: (fx) => ({ params: pid(fx) }), ok: 200 },
  "GET /api/v1/projects/[id]/members": { permission: "projects.manage", request: (fx) => ({ params: pid(fx) }), ok: 200 },
  "POST /api/v1/projects/[id]/members": { permission: "projects.manage", request: (fx) => ({ params: pid(fx), json: { emails: [fx.victim.email] } }), ok: 200 },
  "DELETE /api/v1/projects/[id]/members/[userId]": {
    permission: "projects.manage",
    request: async (fx) => {
      await fx.addSpare();
      return { params: { id: fx.project.id, userId: fx.spare.id } };
    },
    ok: 200, // { leasesReleased, reservationsCleared }
  },
  "PUT /api/v1/projects/[id]/members/[userId]/exclusion": { permission: "projects.manage", request: (fx) => ({ params: { id: fx.project.id, userId: fx.victim.id }, json: { excluded: false } }), ok: 204 },
  "POST /api/v1/projects/[id]/reservations": { permission: "projects.manage", request: (fx) => ({ params: pid(fx), json: { comparisonIds: [fx.shared.id] } }), ok: 200 },
  "PUT /api/v1/comparisons/[id]/gold": { permission: "projects.manage", request: (fx) => ({ params: { id: fx.shared.id }, json: { ranking: null } }), ok: 204 },

  // Admins: what annotators did (annotation is blind: annotators see no one's judgments).
  "GET /api/v1/projects/[id]/judgments": { permission: "judgments.read", request: (fx) => ({ params: pid(fx) }), ok: 200 },
  "GET /api/v1/projects/[id]/annotators": { permission: "judgments.read", request: (fx) => ({ params: pid(fx) }), ok: 200 },
  "GET /api/v1/projects/[id]/agreement": { permission: "judgments.read", request: (fx) => ({ params: pid(fx) }), ok: 200 },

  // Admins: rounds and models. The fixture has no trained model: 404 past the check.
  "POST /api/v1/projects/[id]/rounds": { permission: "rounds.manage", request: async (fx) => ({ params: { id: await fx.emptyProject() }, json: {} }), ok: 201 },
  "GET /api/v1/projects/[id]/rounds": { permission: "rounds.manage", request: (fx) => ({ params: pid(fx) }), ok: 200 },
  "GET /api/v1/projects/[id]/reward-models": { permission: "rounds.manage", request: (fx) => ({ params: pid(fx) }), ok: 200 },
  "GET /api/v1/rounds/[id]": { permission: "rounds.manage", request: (fx) => ({ params: { id: fx.round.roundId } }), ok: 200 },
  "GET /api/v1/rounds/[id]/events": { permission: "rounds.manage", request: (fx) => ({ params: { id: fx.round.roundId } }), ok: 200 },
  "GET /api/v1/rounds/[id]/evaluation": { permission: "rounds.manage", request: (fx) => ({ params: { id: fx.round.roundId } }), ok: 404 }, // queued: no evaluation yet
  "POST /api/v1/rounds/[id]/cancel": { permission: "rounds.manage", request: async (fx) => ({ params: { id: (await fx.freshRound()).roundId } }), ok: 200 },
  "GET /api/v1/models/[id]/download": { permission: "rounds.manage", request: () => ({ params: { id: anyId() } }), ok: 404 },
  "POST /api/v1/models/[id]/generate": { permission: "models.score", request: () => ({ params: { id: anyId() }, json: { prompt: "hi" } }), ok: 404 },
  "POST /api/v1/reward-models/[id]/score": { permission: "models.score", request: () => ({ params: { id: anyId() }, json: { prompt: "hi", responses: ["a"] } }), ok: 404 },
};

/** What a page, layout or action did: rendered or returned, or which interrupt it threw. */
export type Outcome = "ok" | "signin" | "forbidden" | "notFound" | { redirect: string };

export type PageRule = {
  permission: Permission | "public";
  params?: (fx: Fixture) => Record<string, string>;
  /** what a principal that passes the check sees ("ok": the page renders) */
  ok?: Outcome;
  outsider?: Outcome;
  admin?: Outcome;
  /** for a public page: what a visitor who is not signed in sees */
  anonymous?: Outcome;
  /** layouts only wrap pages: called with an empty child */
  layout?: boolean;
};

const projectParams = (fx: Fixture) => ({ id: fx.project.id });

export const PAGE_RULES: Record<string, PageRule> = {
  "layout /": { permission: "public", layout: true }, // the nav; each page checks for itself
  "layout /admin": { permission: "users.read", layout: true },
  "page /": { permission: "public", anonymous: { redirect: "/signin" }, ok: { redirect: "/annotate" }, admin: { redirect: "/admin" } },
  "page /signin": { permission: "public", ok: { redirect: "/" } }, // a signed-in user is sent on
  "page /invite/[token]": { permission: "public", params: () => ({ token: "no-such-invite" }) }, // the token is the credential
  "page /account": { permission: "self.read" },
  "page /annotate": { permission: "annotate" },
  "page /annotate/[projectId]": { permission: "annotate", params: (fx) => ({ projectId: fx.project.id }), outsider: "forbidden" },
  "page /admin": { permission: "users.read" },
  "page /admin/users": { permission: "users.read" },
  "page /admin/projects": { permission: "projects.manage" },
  "page /admin/projects/[id]": { permission: "projects.manage", params: projectParams },
  "page /admin/projects/[id]/settings": { permission: "projects.manage", params: projectParams },
  "page /admin/projects/[id]/quality": { permission: "judgments.read", params: projectParams },
  "page /admin/projects/[id]/comparisons/[cid]": { permission: "judgments.read", params: (fx) => ({ id: fx.project.id, cid: fx.shared.id }) },
  "page /admin/projects/[id]/rounds": { permission: "rounds.manage", params: projectParams },
  "page /admin/projects/[id]/playground": { permission: "models.score", params: projectParams },
};

export type ActionRule = {
  permission: Permission | "public";
  args: (fx: Fixture, p: Principal) => Maybe<unknown[]>;
  /** what a principal that passes the check gets ("ok": the action returned) */
  ok?: Outcome;
};

function form(fields: Record<string, string>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
}

/** Keyed "file#export". Arguments that would change the fixture are ones the action refuses past its check. */
export const ACTION_RULES: Record<string, ActionRule> = {
  "app/account/actions.ts#createTokenAction": { permission: "tokens.create", args: () => [{}, form({ name: "matrix", expiresInDays: "1" })] },
  "app/account/actions.ts#revokeTokenAction": { permission: "tokens.manage", args: async (fx, p) => [await fx.throwawayToken(p.user)] },
  "app/account/actions.ts#changePasswordAction": { permission: "self.manage", args: () => [{}, form({ currentPassword: "not the password at all", newPassword: "another long password" })] },
  "app/account/actions.ts#signOutEverywhereAction": { permission: "self.manage", args: () => [] },
  // the invitation's token is the credential; a wrong one is refused whoever asks
  "app/invite/[token]/actions.ts#acceptInviteAction": { permission: "public", args: () => ["no-such-invite", {}, form({ name: "x", password: "a long enough password" })] },
  "app/admin/users/actions.ts#inviteAction": { permission: "invites.create", args: () => [{}, form({ email: uniqueEmail("invitee"), role: "annotator" })] },
  "app/admin/users/actions.ts#revokeInviteAction": { permission: "invites.create", args: () => [randomUUID()] },
  "app/admin/users/actions.ts#setDisabledAction": { permission: "users.manage", args: (fx) => [fx.victim.id, false] },
  "app/admin/users/actions.ts#resetPasswordAction": { permission: "users.password", args: (fx) => [fx.victim.id] },
  "app/admin/users/actions.ts#endSessionsAction": { permission: "users.manage", args: (fx) => [fx.victim.id] },
  "app/admin/projects/actions.ts#createProjectAction": { permission: "projects.manage", args: () => [{}, form({ name: `matrix ${randomUUID().slice(0, 6)}` })], ok: { redirect: "/admin/projects/" } },
  "app/admin/projects/actions.ts#createDemoProjectAction": { permission: "projects.manage", args: () => [], ok: { redirect: "/admin/projects/" } },
  // an empty form names no project: refused past the check, nothing saved
  "app/admin/projects/actions.ts#updateProjectAction": { permission: "projects.manage", args: (fx) => [fx.project.id, {}, form({})] },
  "app/admin/projects/actions.ts#addMembersAction": { permission: "projects.manage", args: (fx) => [fx.project.id, {}, form({ emails: fx.victim.email })] },
  "app/admin/projects/actions.ts#setExclusionAction": { permission: "projects.manage", args: (fx) => [fx.project.id, fx.victim.id, false] },
  "app/admin/projects/[id]/remove-member-action.ts#removeMemberAction": {
    permission: "projects.manage",
    args: async (fx) => {
      await fx.addSpare();
      return [fx.project.id, fx.spare.id];
    },
  },
  // epochs "x" is not a number: refused past the check, no round queued
  "app/admin/projects/[id]/rounds/actions.ts#startRoundAction": { permission: "rounds.manage", args: (fx) => [fx.project.id, {}, form({ plan: "reward_model", epochs: "x" })] },
  "app/admin/projects/[id]/rounds/cancel-round-action.ts#cancelRoundAction": {
    permission: "rounds.manage",
    args: async (fx) => {
      const { projectId, roundId } = await fx.freshRound();
      return [projectId, roundId];
    },
  },
};
