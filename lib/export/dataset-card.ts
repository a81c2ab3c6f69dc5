// A dataset card (README.md with YAML front matter, as the Hugging Face Hub reads it) for
// an export: size, fields, the filters used, and the project's agreement figures. The
// licence is left for the admin to fill in.
import type { Project } from "@/lib/db/schema";
import type { ProjectAgreement } from "@/lib/quality/project-agreement";
import type { ExportFormat } from "./formats";
import type { ExportFilters } from "./stream";

const FIELDS: Record<ExportFormat, string[]> = {
  pairwise: ["prompt: the conversation (a string, or messages with conversational=1)", "chosen", "rejected", "margin: strength (pairs) or distance in places (k-wise)", "tie", "meta: judgment and comparison ids, pseudonymous annotator, sources, time"],
  kwise: ["prompt: messages", "responses: texts", "ranking: tie groups of indexes into responses, best first", "meta"],
  raw: ["id", "comparisonId", "annotator (pseudonym)", "origin", "prompt", "responses (id, text, source)", "shownOrder", "ranking", "strength", "bothBad", "criteria", "rationale", "durationMs", "createdAt"],
  sft: ["prompt", "completion: the response most often ranked alone in first place", "meta"],
};

export function sizeCategory(n: number): string {
  if (n < 1_000) return "n<1K";
  if (n < 10_000) return "1K<n<10K";
  if (n < 100_000) return "10K<n<100K";
  if (n < 1_000_000) return "100K<n<1M";
  return "1M<n<10M";
}

const yamlString = (s: string) => JSON.stringify(s); // a JSON string is a valid YAML scalar

export function datasetCard(args: {
  project: Project;
  format: ExportFormat;
  rows: number;
  filters: ExportFilters & { ties?: boolean; conversational?: boolean };
  agreement: ProjectAgreement;
  version: string;
  generatedAt: Date;
}): string {
  const { project, format, rows, filters, agreement } = args;
  const used = Object.entries(filters)
    .filter(([, v]) => v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `- ${k}: ${v instanceof Date ? v.toISOString() : Array.isArray(v) ? v.join(", ") : String(v)}`);
  const fmt = (x: number | null, pct = false) => (x === null ? "n/a" : pct ? `${(x * 100).toFixed(1)}%` : x.toFixed(3));
  return `---
pretty_name: ${yamlString(project.name)}
license: other # set the licence of this data before publishing
size_categories:
- ${sizeCategory(rows)}
tags:
- rlhf
- preference
- ${format}
- arbiter
---

# ${project.name} (${format})

Human preference judgments collected with Arbiter ${args.version}, exported ${args.generatedAt.toISOString()}.

- Rows: ${rows}
- Project mode: ${project.mode === "pairwise" ? "pairwise" : `k-wise, k = ${project.k}`}; ${project.redundancy} judgment(s) wanted per comparison
${project.criteria.length ? `- Criteria: ${project.criteria.join(", ")}\n` : ""}
## Fields

${FIELDS[format].map((f) => `- ${f}`).join("\n")}

## Filters used

${used.length ? used.join("\n") : "- none"}

Annotators excluded for quality are left out unless \`includeExcluded\` is listed above.
Annotator ids are pseudonyms, stable within this installation.

## Agreement (all non-imported judgments of the project, excluded annotators left out)

- Judgments: ${agreement.judgments}
- Pairwise agreement: ${fmt(agreement.pairwiseAgreement, true)}
- Krippendorff's alpha (ordinal): ${fmt(agreement.krippendorffAlpha)}
- Fleiss' kappa: ${fmt(agreement.fleissKappa)} over ${agreement.fleissSubjects} comparisons
- Annotators: ${agreement.annotators.length}, flagged below the quality bar: ${agreement.annotators.filter((a) => a.flagged).length}

## Instructions given to annotators

${project.instructions.trim() || "(none)"}
`;
}
