import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ApiError } from "@/lib/api/errors";
import { readJsonBody } from "@/lib/api/json-body";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { modelsDir } from "@/lib/models/paths";
import { REGISTER_KINDS, RegisterModelError, modelName, registerModelFolder } from "@/lib/models/register-model";
import { getProject } from "@/lib/projects/projects";

const bodySchema = z.object({ kind: z.enum(REGISTER_KINDS), dir: z.string().min(1).max(4096), name: modelName.optional() }).strict();

/**
 * Registers a GPT-2-family checkpoint folder as the project's base or policy model (API.md)
 * → 201 { id, kind, name, source, path, sizeBytes, sha256 }. Over HTTP the folder must lie
 * under the models directory (ARBITER_MODELS_DIR), where an operator put it: an admin's
 * request never makes the server read a folder elsewhere on its disk (checked here, and
 * again on the folder once opened, which must be no link: register-model.ts). The CLI takes any.
 */
export const POST = withPermission<{ id: string }>("projects.manage", async ({ req, params }) => {
  const project = await getProject(uuidParam(params.id, "project"));
  if (!project) throw new ApiError("not_found", "No such project");
  const body = bodySchema.parse(await readJsonBody(req));
  const root = fs.existsSync(modelsDir()) ? fs.realpathSync(modelsDir()) : modelsDir();
  const asked = path.resolve(root, body.dir);
  const dir = fs.existsSync(asked) ? fs.realpathSync(asked) : asked;
  if (!dir.startsWith(root + path.sep)) throw new ApiError("invalid_input", `dir must be a folder under the models directory (${root}); the command line (arbiter model register) takes any folder`);
  try {
    return Response.json(await registerModelFolder(project, { kind: body.kind, dir, name: body.name, symlinks: false, within: root }), { status: 201 });
  } catch (err) {
    if (err instanceof RegisterModelError) throw new ApiError(err.conflict ? "conflict" : "invalid_input", err.message);
    throw err;
  }
});
