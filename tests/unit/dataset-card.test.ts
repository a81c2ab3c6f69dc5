import { describe, expect, it } from "vitest";
import { datasetCard, sizeCategory } from "@/lib/export/dataset-card";
import type { Project } from "@/lib/db/schema";

const project = {
  name: 'Helpful "assistants"',
  mode: "pairwise",
  k: 2,
  redundancy: 3,
  criteria: ["helpful"],
  instructions: "Prefer the **helpful** answer.",
} as unknown as Project;

const agreement = { judgments: 120, pairwiseAgreement: 0.8, krippendorffAlpha: 0.61, fleissKappa: 0.55, fleissSubjects: 40, annotators: [] };

describe("dataset card", () => {
  it("opens with YAML front matter the Hub reads: name, a licence to fill in, size, tags", () => {
    const card = datasetCard({ project, format: "pairwise", rows: 2345, filters: { gold: "exclude", ties: false }, agreement, version: "0.1.0", generatedAt: new Date("2026-11-28T00:00:00Z") });
    const [, front, body] = card.split(/^---$/m);
    expect(front).toContain('pretty_name: "Helpful \\"assistants\\""');
    expect(front).toContain("license: other");
    expect(front).toContain("- 1K<n<10K");
    expect(front).toContain("- pairwise");
    expect(body).toContain("- Rows: 2345");
    expect(body).toContain("- gold: exclude");
    expect(body).not.toContain("ties");
    expect(body).toContain("Krippendorff's alpha (ordinal): 0.610");
    expect(body).toContain("Prefer the **helpful** answer.");
  });

  it("buckets sizes as the Hub does", () => {
    expect([999, 1000, 99_999, 100_000, 2_000_000].map(sizeCategory)).toEqual(["n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M"]);
  });
});
