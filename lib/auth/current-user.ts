// Who is asking, checked on the server for pages, server actions and route handlers.
import { getServerSession } from "next-auth";
import { forbidden, redirect } from "next/navigation";
import type { User } from "@/lib/db/schema";
import { getActiveUser } from "@/lib/users/users";
import { authOptions, type SessionClaims } from "./options";
import { can, type Permission } from "./permissions";

/**
 * The signed-in, active user of this browser session, if any. Read from the database on
 * every call (no cache), so disabling, a password change or "sign out everywhere" (a new
 * session version, lib/users/sessions.ts) ends the session from its next request on.
 */
export async function getSessionUser(): Promise<User | undefined> {
  return userForSession((await getServerSession(authOptions())) as SessionClaims | null);
}

/** The active user a session's claims name, while the session version is still the user's. */
export async function userForSession(claims: SessionClaims | null): Promise<User | undefined> {
  if (!claims?.userId) return undefined;
  const user = await getActiveUser(claims.userId);
  return user && user.sessionVersion === claims.sessionVersion ? user : undefined;
}

/**
 * For pages and server actions: sends a visitor who is not signed in to /signin and
 * answers 403 (app/forbidden.tsx) to a user whose role lacks the permission.
 */
export async function requirePermission(permission: Permission, callbackPath = "/"): Promise<User> {
  const user = await getSessionUser();
  if (!user) redirect(`/signin?callbackUrl=${encodeURIComponent(callbackPath)}`);
  if (!can(user.role, permission)) forbidden();
  return user;
}
