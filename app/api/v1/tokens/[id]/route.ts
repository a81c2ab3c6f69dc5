import { ApiError } from "@/lib/api/errors";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { revokeApiToken } from "@/lib/auth/api-tokens";
import { can } from "@/lib/auth/permissions";

/** Revokes one of the caller's tokens (an admin: anyone's); every web process refuses it from the next request on. */
export const DELETE = withPermission<{ id: string }>("tokens.manage", async ({ params, user }) => {
  const id = uuidParam(params.id, "token");
  const revoked = await revokeApiToken(id, can(user.role, "users.manage") ? undefined : user.id);
  if (!revoked) throw new ApiError("not_found", "No such token of yours");
  return new Response(null, { status: 204 });
});
