import { ApiError } from "@/lib/api/errors";
import { withPermission } from "@/lib/api/route";
import { uuidParam } from "@/lib/api/uuid-param";
import { datasetCard } from "@/lib/export/dataset-card";
import { resolveExportQuery } from "@/lib/export/resolve-query";
import { exportRecords } from "@/lib/export/stream";
import { getProject } from "@/lib/projects/projects";
import { qualityBarOf } from "@/lib/quality/project-agreement";
import { cachedAgreement } from "@/lib/quality/statistics-cache";
import pkg from "@/package.json";

/** README.md with YAML front matter for the export with the same format and filters. */
export const GET = withPermission<{ id: string }>("projects.manage", async ({ req, params }) => {
  const project = await getProject(uuidParam(params.id, "project"));
  if (!project) throw new ApiError("not_found", "No such project");
  const { q, filters } = await resolveExportQuery(req.url, project);
  if (q.excludeAnnotators) throw new ApiError("invalid_input", "the card takes the export's format, time, round, gold, agreement and criterion filters");
  // Rows are counted by running the export itself: the card's size is the file's size.
  let rows = 0;
  for await (const _ of exportRecords(project.id, filters, { format: q.format, ties: q.ties, conversational: q.conversational, secret: "count-only" })) rows++;
  const card = datasetCard({
    project,
    format: q.format,
    rows,
    filters: { ...filters, ties: q.ties, conversational: q.conversational },
    agreement: await cachedAgreement(project.id, qualityBarOf(project)),
    version: pkg.version,
    generatedAt: new Date(),
  });
  return new Response(card, { headers: { "content-type": "text/markdown; charset=utf-8", "content-disposition": 'attachment; filename="README.md"' } });
});
