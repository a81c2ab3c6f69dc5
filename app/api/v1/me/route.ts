import { withPermission } from "@/lib/api/route";
import { toPublicUser } from "@/lib/users/users";

export const GET = withPermission("self.read", async ({ user }) => Response.json(toPublicUser(user)));
