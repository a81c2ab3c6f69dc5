import { ApiError } from "@/lib/api/errors";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { removeMember } from "@/lib/projects/remove-member";

/** Removes an annotator from the project: access ends at once, leases are released, judgments kept. */
export const DELETE = withPermission<{ id: string; userId: string }>("projects.manage", async ({ params }) => {
  const removed = await removeMember(uuidParam(params.id, "project"), uuidParam(params.userId, "member"));
  if (!removed) throw new ApiError("not_found", "No such member of this project");
  return Response.json(removed);
});
