import { ApiError } from "@/lib/api/errors";
import { IMPORT_BODY_TYPES } from "@/lib/api/request-guard";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { env } from "@/lib/config/env";
import { importStream, type ImportFormat } from "@/lib/import/import-stream";
import { BodyTooLargeError } from "@/lib/import/read-lines";
import { getProject } from "@/lib/projects/projects";

export const maxDuration = 600;

function formatOf(req: Request): ImportFormat {
  const explicit = new URL(req.url).searchParams.get("format");
  if (explicit === "csv" || explicit === "ndjson") return explicit;
  if (explicit) throw new ApiError("invalid_input", "format must be ndjson or csv");
  return (req.headers.get("content-type") ?? "").includes("csv") ? "csv" : "ndjson";
}

/** NDJSON (or CSV) body → { imported, errors, committed }; nothing is written when a line is invalid. */
export const POST = withPermission<{ id: string }>("projects.manage", async ({ req, params }) => {
  const project = await getProject(uuidParam(params.id, "project"));
  if (!project) throw new ApiError("not_found", "No such project");
  const maxBytes = env().IMPORT_MAX_BYTES;
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw new ApiError("too_large", `The import is larger than the limit of ${maxBytes} bytes`);
  if (!req.body) throw new ApiError("invalid_input", "Send the records as the request body");
  const dryRun = ["1", "true"].includes(new URL(req.url).searchParams.get("dryRun") ?? "");
  try {
    const result = await importStream(project, req.body, { format: formatOf(req), maxBytes, dryRun });
    const status = result.errorCount > 0 ? 400 : result.committed ? 201 : 200;
    return Response.json(result, { status });
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new ApiError("too_large", err.message);
    throw err;
  }
}, { bodyTypes: IMPORT_BODY_TYPES });
