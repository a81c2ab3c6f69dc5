import { ApiError } from "@/lib/api/errors";
import { parseJson, withPermission } from "@/lib/api/route";
import { createInvite, createInviteSchema, InviteError, inviteUrl } from "@/lib/auth/invites";
import { publicBaseUrl } from "@/lib/config/base-url";

export const POST = withPermission("invites.create", async ({ req, user }) => {
  const input = await parseJson(req, createInviteSchema);
  try {
    const { invite, token } = await createInvite(input, user.id);
    return Response.json(
      { id: invite.id, email: invite.email, role: invite.role, url: inviteUrl(publicBaseUrl(req.headers), token), expiresAt: invite.expiresAt },
      { status: 201 },
    );
  } catch (err) {
    if (err instanceof InviteError) throw new ApiError("conflict", err.message);
    throw err;
  }
});
