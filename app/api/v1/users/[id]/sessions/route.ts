import { ApiError } from "@/lib/api/errors";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { endSessions } from "@/lib/users/sessions";

/** An admin ends every browser session of a user and revokes their API tokens. */
export const DELETE = withPermission<{ id: string }>("users.manage", async ({ params }) => {
  if (!(await endSessions(uuidParam(params.id, "user")))) throw new ApiError("not_found", "No such user");
  return new Response(null, { status: 204 });
});
