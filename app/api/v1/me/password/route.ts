import { ApiError } from "@/lib/api/errors";
import { parseJson, withPermission } from "@/lib/api/route";
import { requestAddress } from "@/lib/auth/request-address";
import { changeOwnPassword, changePasswordSchema, PasswordChangeError, PasswordCheckRefused } from "@/lib/users/passwords";

/**
 * Changes the caller's password (the current one must be right, checked under the sign-in
 * limit); every session of theirs ends. A signed-in browser only (SESSION_ONLY).
 */
export const POST = withPermission("self.manage", async ({ req, user }) => {
  const input = await parseJson(req, changePasswordSchema);
  try {
    await changeOwnPassword(user.id, input, requestAddress(req.headers));
  } catch (err) {
    if (err instanceof PasswordChangeError) throw new ApiError("invalid_input", err.message);
    if (err instanceof PasswordCheckRefused) throw new ApiError(err.reason === "limited" ? "rate_limited" : "unavailable", err.message, undefined, err.retryAfterSeconds);
    throw err;
  }
  return new Response(null, { status: 204 });
});
