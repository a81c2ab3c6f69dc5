import { withPermission } from "@/lib/api/route";
import { endSessions } from "@/lib/users/sessions";

/** "Sign out everywhere": every browser session of the caller ends and their API tokens are revoked. */
export const DELETE = withPermission("self.manage", async ({ user }) => {
  await endSessions(user.id);
  return new Response(null, { status: 204 });
});
