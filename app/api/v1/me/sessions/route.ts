import { withPermission } from "@/lib/api/route";
import { endSessions } from "@/lib/users/sessions";

/** "Sign out everywhere": every browser session of the caller ends (API tokens are kept). */
export const DELETE = withPermission("self.manage", async ({ user }) => {
  await endSessions(user.id);
  return new Response(null, { status: 204 });
});
