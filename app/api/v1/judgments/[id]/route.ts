import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { undoJudgment } from "@/lib/judgments/undo-and-skip";

/** Undo: deletes the caller's own judgment within the undo window and gives the comparison back. */
export const DELETE = withPermission<{ id: string }>("annotate", async ({ params, user }) => {
  return Response.json(await undoJudgment(uuidParam(params.id, "judgment"), user));
});
