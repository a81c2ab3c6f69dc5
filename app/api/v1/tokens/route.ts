import { z } from "zod";
import { ApiError } from "@/lib/api/errors";
import { parseJson, parseQuery, withPermission } from "@/lib/api/route";
import { createApiToken, listApiTokens, newTokenSchema } from "@/lib/auth/api-tokens";
import { can } from "@/lib/auth/permissions";
import { getUserById } from "@/lib/users/users";

/**
 * A new token acting as the caller; the token is in this response only. A signed-in
 * browser only (SESSION_ONLY in permissions.ts): a token cannot mint tokens.
 */
export const POST = withPermission("tokens.create", async ({ req, user }) => {
  const { name, expiresInDays } = await parseJson(req, newTokenSchema);
  const { id, token, expiresAt } = await createApiToken(user.id, name, { expiresInDays });
  return Response.json({ id, name, token, expiresAt: expiresAt.toISOString() }, { status: 201 });
});

const listQuery = z.object({ userId: z.uuid().optional() }).strict();

/** The caller's tokens, or with `?userId=` (admins) another user's; never the secrets. */
export const GET = withPermission("tokens.manage", async ({ req, user }) => {
  const { userId } = parseQuery(req, listQuery);
  if (userId && userId !== user.id) {
    if (!can(user.role, "users.manage")) throw new ApiError("forbidden", "Only admins may list another user's tokens");
    if (!(await getUserById(userId))) throw new ApiError("not_found", "No such user");
  }
  return Response.json(await listApiTokens(userId ?? user.id));
});
