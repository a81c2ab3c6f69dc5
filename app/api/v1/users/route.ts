import { withPermission } from "@/lib/api/route";
import { listUsers, toPublicUser } from "@/lib/users/users";

export const GET = withPermission("users.read", async () => Response.json((await listUsers()).map(toPublicUser)));
