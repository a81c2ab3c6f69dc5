import { ApiError } from "@/lib/api/errors";
import { parseJson, withPermission } from "@/lib/api/route";
import { changeOwnPassword, changePasswordSchema, PasswordChangeError } from "@/lib/users/passwords";

/** Changes the caller's password (the current one must be right); every session of theirs ends. */
export const POST = withPermission("self.manage", async ({ req, user }) => {
  const input = await parseJson(req, changePasswordSchema);
  try {
    await changeOwnPassword(user.id, input);
  } catch (err) {
    if (err instanceof PasswordChangeError) throw new ApiError("invalid_input", err.message);
    throw err;
  }
  return new Response(null, { status: 204 });
});
