// Who is asking, checked on the server for pages, server actions and route handlers.
import { getServerSession } from "next-auth";
import { forbidden, redirect } from "next/navigation";
import type { User } from "@/lib/db/schema";
import { getActiveUser } from "@/lib/users/users";
import { authOptions } from "./options";
import { can, type Permission } from "./permissions";

/** The signed-in, active user of this browser session, if any. */
export async function getSessionUser(): Promise<User | undefined> {
  const session = (await getServerSession(authOptions())) as { userId?: string } | null;
  if (!session?.userId) return undefined;
  return getActiveUser(session.userId);
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
