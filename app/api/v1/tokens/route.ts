import { z } from "zod";
import { parseJson, withPermission } from "@/lib/api/route";
import { createApiToken } from "@/lib/auth/api-tokens";

const bodySchema = z.object({ name: z.string().trim().min(1).max(100) });

/** A new token acting as the caller; the token is in this response only. */
export const POST = withPermission("tokens.create", async ({ req, user }) => {
  const { name } = await parseJson(req, bodySchema);
  const { id, token } = await createApiToken(user.id, name);
  return Response.json({ id, name, token }, { status: 201 });
});
