import { ApiError } from "@/lib/api/errors";
import { parseJson, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { PasswordChangeError, resetPassword, resetPasswordSchema } from "@/lib/users/passwords";

/** An admin sets a user's password, or has one generated (in this response only); the user's sessions end. */
export const POST = withPermission<{ id: string }>("users.manage", async ({ req, params }) => {
  const id = uuidParam(params.id, "user");
  const input = await parseJson(req, resetPasswordSchema);
  try {
    const { generatedPassword } = await resetPassword(id, input);
    return Response.json(generatedPassword ? { password: generatedPassword } : {});
  } catch (err) {
    if (err instanceof PasswordChangeError) throw new ApiError("not_found", err.message);
    throw err;
  }
});
