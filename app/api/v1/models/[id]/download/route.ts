import fs from "node:fs";
import { ApiError } from "@/lib/api/errors";
import { closeWhenAccessEnds } from "@/lib/api/access-bound-stream";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { getArtifact, artifactDir } from "@/lib/models/reward-models";
import { tarFolder } from "@/lib/models/tar-stream";

/**
 * A model artifact as a tar archive: config.json + model.safetensors + tokenizer files in
 * Hugging Face's GPT-2 layout, with metrics.json and training_config.json (API.md). Cut off
 * when the caller loses access mid-transfer (closeWhenAccessEnds).
 */
export const GET = withPermission<{ id: string }>("rounds.manage", async ({ params, stillAllowed }) => {
  const artifact = await getArtifact(uuidParam(params.id, "model"));
  if (!artifact) throw new ApiError("not_found", "No such model");
  const dir = artifactDir(artifact);
  if (!fs.existsSync(dir)) throw new ApiError("not_found", "The model's files are not on this server's checkpoint volume");
  const name = `${artifact.kind.replace("_", "-")}-${artifact.id.slice(0, 8)}`;
  return new Response(closeWhenAccessEnds(tarFolder(dir, name), stillAllowed), {
    headers: { "content-type": "application/x-tar", "content-disposition": `attachment; filename="${name}.tar"`, "cache-control": "no-store" },
  });
});
