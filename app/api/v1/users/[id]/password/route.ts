import { ApiError } from "@/lib/api/errors";
import { parseJson, withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { requestAddress } from "@/lib/auth/request-address";
import { adminResetSchema, OwnPasswordNeeded, PasswordChangeError, PasswordCheckRefused, resetPasswordByAdmin } from "@/lib/users/passwords";

/**
 * An admin sets a user's password, or has one generated (in this response only); the
 * user's sessions end. An admin's password needs the caller's own (`currentPassword`).
 * A signed-in browser only (SESSION_ONLY): a token must not set a password it could sign in with.
 */
export const POST = withPermission<{ id: string }>("users.password", async ({ req, params, user }) => {
  const id = uuidParam(params.id, "user");
  const input = await parseJson(req, adminResetSchema);
  try {
    const { generatedPassword } = await resetPasswordByAdmin(user, id, input, requestAddress(req.headers));
    return Response.json(generatedPassword ? { password: generatedPassword } : {});
  } catch (err) {
    if (err instanceof PasswordChangeError) throw new ApiError("not_found", err.message);
    if (err instanceof OwnPasswordNeeded) throw new ApiError("forbidden", err.message);
    if (err instanceof PasswordCheckRefused) throw new ApiError(err.reason === "limited" ? "rate_limited" : "unavailable", err.message, undefined, err.retryAfterSeconds);
    throw err;
  }
});
