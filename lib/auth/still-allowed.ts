// Whether the caller of a long answer (a live event stream, an export, a model download)
// still has the access it was let in with: the same token still in force, or the same
// session (user active, session version unchanged), and a role that still holds the
// permission. The requests these answer are admin-only, so project membership is not
// re-checked here.
import type { User } from "@/lib/db/schema";
import { getActiveUser } from "@/lib/users/users";
import { userForApiToken } from "./api-tokens";
import { can, type Permission } from "./permissions";

export type Caller = { user: User; via: "session" } | { user: User; via: "token"; token: string };

export async function stillAllowed(caller: Caller, permission: Permission): Promise<boolean> {
  const now = caller.via === "token" ? await userForApiToken(caller.token) : await getActiveUser(caller.user.id);
  if (!now || now.id !== caller.user.id || !can(now.role, permission)) return false;
  return caller.via === "token" || now.sessionVersion === caller.user.sessionVersion;
}
