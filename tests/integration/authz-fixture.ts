// The people and things the authorization matrix asks about, as real rows in the test
// database: a project with an annotator member, an annotator of another project, a
// disabled member, an admin, and the credentials each principal of the matrix presents
// (a browser session cookie made by next-auth's own callbacks, or an API token).
import { randomUUID } from "node:crypto";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Account } from "next-auth";
import { encode, type JWT } from "next-auth/jwt";
import { createApiToken, revokeApiToken } from "@/lib/auth/api-tokens";
import { authOptions } from "@/lib/auth/options";
import { getDb } from "@/lib/db/client";
import { apiTokens, comparisonResponses, comparisons, projects, rounds, type User } from "@/lib/db/schema";
import { submitJudgment } from "@/lib/judgments/submit-judgment";
import { addMembers, createProject } from "@/lib/projects/projects";
import { cancelRound } from "@/lib/rounds/cancel-round";
import { startRound } from "@/lib/rounds/start-round";
import { createUser, getUserById, setUserDisabled } from "@/lib/users/users";
import { importText, ndjson, responseRecords } from "./fixtures";
import { uniqueEmail } from "./helpers";

export const SITE = "http://arbiter.test:3000";
const PASSWORD = "a long enough password";

/** Which row of an expected-rule table applies to an accepted principal. */
export type Kind = "member" | "outsider" | "admin";

export type Principal = {
  name: string;
  via: "none" | "session" | "token";
  /** false: these credentials must be refused (a disabled user, a revoked or expired token) */
  valid: boolean;
  kind?: Kind;
  /** the user the request would act as */
  user?: User;
  /** the credentials' headers, made at each request (a valid session is a fresh sign-in, a valid token one not revoked) */
  headers(): Promise<Record<string, string>>;
};

/** The cookie a browser holds after signing in: next-auth's jwt callback and encoding, as at sign-in. */
async function sessionCookie(user: User): Promise<string> {
  const options = authOptions();
  const signedIn = { id: user.id, email: user.email, name: user.name, arbiter: { userId: user.id, sessionVersion: user.sessionVersion } };
  const account = { provider: "credentials", type: "credentials", providerAccountId: user.id } as Account;
  const token = (await options.callbacks!.jwt!({ token: { sub: user.id, email: user.email }, user: signedIn, account, trigger: "signIn" })) as JWT;
  return `next-auth.session-token=${await encode({ token, secret: process.env.NEXTAUTH_SECRET! })}`;
}

async function anUser(label: string, role: "admin" | "annotator"): Promise<User> {
  return (await createUser({ email: uniqueEmail(label), role, password: PASSWORD })).user;
}

export type Fixture = Awaited<ReturnType<typeof makeFixture>>;

export async function makeFixture() {
  process.env.NEXTAUTH_SECRET ??= "authz-matrix-secret";
  const admin = await anUser("authz-admin", "admin");
  const project = await createProject({ name: `authz-${randomUUID().slice(0, 6)}`, mode: "pairwise", redundancy: 5, criteria: [] }, admin.id);
  const otherProject = await createProject({ name: `authz-other-${randomUUID().slice(0, 6)}` }, admin.id);
  await importText(project, ndjson(responseRecords(120, 2, "authz")));
  const member = await anUser("authz-member", "annotator");
  const outsider = await anUser("authz-outsider", "annotator");
  const disabled = await anUser("authz-disabled", "annotator");
  const victim = await anUser("authz-victim", "annotator"); // what admins act on: password resets, sessions, exclusion
  const spare = await anUser("authz-spare", "annotator"); // added back before each removal
  await addMembers(project.id, [member.email, disabled.email, victim.email]);
  await addMembers(otherProject.id, [outsider.email]);

  const disabledToken = (await createApiToken(disabled.id, "matrix")).token;
  const revoked = await createApiToken(admin.id, "matrix-revoked");
  await revokeApiToken(revoked.id);
  const expired = await createApiToken(admin.id, "matrix-expired");
  await getDb().update(apiTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiTokens.id, expired.id));
  const disabledCookie = await sessionCookie(disabled); // signed in before being disabled
  await setUserDisabled(disabled.id, true);

  const live = (user: User) => async () => ({ cookie: await sessionCookie((await getUserById(user.id))!) });
  const bearer = (token: string) => async () => ({ authorization: `Bearer ${token}` });
  /** A token of the user's that is valid now: signing out everywhere revokes a user's tokens, and the matrix signs out. */
  const liveToken = (user: User) => {
    let current: { id: string; token: string } | undefined;
    return async () => {
      const [row] = current ? await getDb().select({ revokedAt: apiTokens.revokedAt }).from(apiTokens).where(eq(apiTokens.id, current.id)) : [];
      if (!row || row.revokedAt) current = await createApiToken(user.id, "matrix");
      return { authorization: `Bearer ${current!.token}` };
    };
  };
  const principals: Principal[] = [
    { name: "signed out", via: "none", valid: false, headers: async () => ({}) },
    { name: "member (session)", via: "session", valid: true, kind: "member", user: member, headers: live(member) },
    { name: "member (token)", via: "token", valid: true, kind: "member", user: member, headers: liveToken(member) },
    { name: "outsider (session)", via: "session", valid: true, kind: "outsider", user: outsider, headers: live(outsider) },
    { name: "disabled (session)", via: "session", valid: false, user: disabled, headers: async () => ({ cookie: disabledCookie }) },
    { name: "disabled (token)", via: "token", valid: false, user: disabled, headers: bearer(disabledToken) },
    { name: "revoked token", via: "token", valid: false, user: admin, headers: bearer(revoked.token) },
    { name: "expired token", via: "token", valid: false, user: admin, headers: bearer(expired.token) },
    { name: "admin (session)", via: "session", valid: true, kind: "admin", user: admin, headers: live(admin) },
    { name: "admin (token)", via: "token", valid: true, kind: "admin", user: admin, headers: liveToken(admin) },
  ];

  const pool = await getDb().select({ id: comparisons.id }).from(comparisons).where(eq(comparisons.projectId, project.id)).orderBy(asc(comparisons.id));
  let next = 0;
  /** A comparison of the project nobody has used in this run, with its two response ids. */
  async function freshComparison(): Promise<{ id: string; responseIds: string[] }> {
    const c = pool[next++];
    if (!c) throw new Error("the matrix used up its comparisons: import more");
    const rows = await getDb().select({ id: comparisonResponses.responseId }).from(comparisonResponses).where(eq(comparisonResponses.comparisonId, c.id)).orderBy(asc(comparisonResponses.position));
    return { id: c.id, responseIds: rows.map((r) => r.id) };
  }
  const shared = await freshComparison(); // skipped, marked gold, reserved: none of which stops the others

  /** A queued round in a project of its own (one active round per project). */
  async function freshRound(): Promise<{ projectId: string; roundId: string }> {
    const p = await createProject({ name: `authz-rounds-${randomUUID().slice(0, 6)}` }, admin.id);
    const { id } = await startRound({ projectId: p.id, trigger: "admin", requestedBy: admin.id });
    return { projectId: p.id, roundId: id };
  }
  const round = await freshRound();

  return {
    SITE,
    PASSWORD,
    admin,
    member,
    outsider,
    disabled,
    victim,
    spare,
    project,
    otherProject,
    round,
    shared,
    principals,
    freshComparison,
    freshRound,
    /** a new project for a round to start in */
    async emptyProject(): Promise<string> {
      return (await createProject({ name: `authz-empty-${randomUUID().slice(0, 6)}` }, admin.id)).id;
    },
    /** A judgment of `user`'s (a member's if `user` may not judge here) within the undo window. */
    async judgmentOf(user: User | undefined): Promise<string> {
      const by = user && (user.id === admin.id || user.id === member.id) ? user : member;
      const c = await freshComparison();
      return (await submitJudgment(c.id, by, { clientId: randomUUID(), ranking: [[c.responseIds[0]!], [c.responseIds[1]!]] })).id;
    },
    /** A token of `user`'s to revoke (a member's when there is no such user). */
    async throwawayToken(user: User | undefined): Promise<string> {
      return (await createApiToken((user ?? member).id, "to revoke")).id;
    },
    async addSpare(): Promise<void> {
      await addMembers(project.id, [spare.email]);
    },
    /** Leaves no queued round behind for a later trainer in this database: the matrix's and those its requests started. */
    async cleanUp(): Promise<void> {
      const queued = await getDb()
        .select({ id: rounds.id })
        .from(rounds)
        .innerJoin(projects, eq(projects.id, rounds.projectId))
        .where(and(eq(projects.createdBy, admin.id), inArray(rounds.status, ["queued", "running"])));
      for (const r of queued) await cancelRound({ roundId: r.id });
    },
  };
}
