import { z } from "zod";
import { ApiError } from "@/lib/api/errors";
import { parseJson, withPermission } from "@/lib/api/route";
import { getUserById, LastAdminError, setUserDisabled, toPublicUser } from "@/lib/users/users";

const patchSchema = z.object({ disabled: z.boolean() }).strict();

export const PATCH = withPermission<{ id: string }>("users.manage", async ({ req, params, user }) => {
  const body = await parseJson(req, patchSchema);
  const target = await getUserById(params.id);
  if (!target) throw new ApiError("not_found", "No such user");
  if (target.id === user.id && body.disabled) throw new ApiError("conflict", "You cannot disable yourself");
  try {
    return Response.json(toPublicUser(await setUserDisabled(target.id, body.disabled)));
  } catch (err) {
    if (err instanceof LastAdminError) throw new ApiError("conflict", err.message);
    throw err;
  }
});
