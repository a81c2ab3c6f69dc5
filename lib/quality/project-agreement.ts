// Agreement for a project (GET /projects/:id/agreement): how often annotators agree,
// overall and per annotator, and who falls below the quality bar. Imported judgments are
// data, not annotators: they stay out of agreement figures.
import { fleissKappa } from "./fleiss";
import { places, preference, type JudgmentRow } from "./judgment-data";
import { krippendorffAlpha } from "./krippendorff";

export type QualityBar = { minMajorityAgreement: number; minGoldAccuracy: number; minEvidence: number };
export const DEFAULT_QUALITY_BAR: QualityBar = { minMajorityAgreement: 0.5, minGoldAccuracy: 0.6, minEvidence: 10 };

/** A project's bar: its own settings where given, the defaults elsewhere. */
export function qualityBarOf(project: { qualityBar: Partial<QualityBar> }): QualityBar {
  return { ...DEFAULT_QUALITY_BAR, ...project.qualityBar };
}

export type AnnotatorQuality = {
  annotatorId: string;
  judgments: number;
  /** share of response pairs where this annotator sided with the others' majority */
  majorityAgreement: number | null;
  majorityPairs: number;
  /** share of response pairs of gold comparisons judged as the known answer */
  goldAccuracy: number | null;
  goldPairs: number;
  medianMs: number | null;
  /** share of strict pairwise verdicts won by the response shown first (0.5 = no bias) */
  firstShownWins: number | null;
  flagged: boolean;
  reasons: string[];
};

export type ProjectAgreement = {
  judgments: number;
  /** share of (annotator pair × response pair) on the same comparison that agree in direction */
  pairwiseAgreement: number | null;
  /** ordinal, on the −3..3 preference scale of pairwise comparisons */
  krippendorffAlpha: number | null;
  /** A / tie / B, over pairwise comparisons with the most common number of judgments (≥ 2) */
  fleissKappa: number | null;
  fleissSubjects: number;
  annotators: AnnotatorQuality[];
};

/** −3..3 for a pairwise judgment: + when the first canonical response wins, scaled by strength. */
function pairwiseScore(j: JudgmentRow): number {
  const [a, b] = j.responses as [string, string];
  const dir = preference(places(j.ranking), a, b);
  return dir * (j.strength ?? 1);
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

export function computeAgreement(all: JudgmentRow[], bar: QualityBar = DEFAULT_QUALITY_BAR): ProjectAgreement {
  const rows = all.filter((j) => j.origin !== "imported");
  const byComparison = new Map<string, JudgmentRow[]>();
  for (const j of rows) byComparison.set(j.comparisonId, [...(byComparison.get(j.comparisonId) ?? []), j]);

  // Overall pairwise agreement
  let agree = 0;
  let total = 0;
  for (const js of byComparison.values()) {
    const ps = js.map((j) => places(j.ranking));
    const ids = js[0]!.responses;
    for (let x = 0; x < ids.length; x++)
      for (let y = x + 1; y < ids.length; y++)
        for (let a = 0; a < js.length; a++)
          for (let b = a + 1; b < js.length; b++) {
            total++;
            if (preference(ps[a]!, ids[x]!, ids[y]!) === preference(ps[b]!, ids[x]!, ids[y]!)) agree++;
          }
  }

  // Krippendorff (ordinal) and Fleiss over pairwise comparisons
  const pairwise = [...byComparison.values()].filter((js) => js[0]!.responses.length === 2 && !js[0]!.isGold);
  const alpha = pairwise.length ? krippendorffAlpha(pairwise.map((js) => js.map(pairwiseScore)), "ordinal") : NaN;
  const sizes = new Map<number, number>();
  for (const js of pairwise) if (js.length >= 2) sizes.set(js.length, (sizes.get(js.length) ?? 0) + 1);
  const r = [...sizes].sort((x, y) => y[1] - x[1])[0]?.[0];
  const fleissRows = r ? pairwise.filter((js) => js.length === r).map((js) => [1, 0, -1].map((c) => js.filter((j) => Math.sign(pairwiseScore(j)) === c).length)) : [];
  const kappa = fleissRows.length ? fleissKappa(fleissRows) : NaN;

  // Per annotator
  const stats = new Map<string, { n: number; agree: number; pairs: number; goldOk: number; gold: number; ms: number[]; first: number; strict: number }>();
  const stat = (id: string) => {
    let s = stats.get(id);
    if (!s) stats.set(id, (s = { n: 0, agree: 0, pairs: 0, goldOk: 0, gold: 0, ms: [], first: 0, strict: 0 }));
    return s;
  };
  for (const js of byComparison.values()) {
    const ids = js[0]!.responses;
    const ps = js.map((j) => places(j.ranking));
    js.forEach((j, a) => {
      const s = stat(j.annotatorId);
      s.n++;
      if (j.durationMs !== null) s.ms.push(j.durationMs);
      if (ids.length === 2) {
        const dir = preference(ps[a]!, j.shownOrder[0]!, j.shownOrder[1]!);
        if (dir !== 0) (s.strict++, dir > 0 && s.first++);
      }
      const gold = j.isGold && j.goldRanking ? places(j.goldRanking) : null;
      for (let x = 0; x < ids.length; x++)
        for (let y = x + 1; y < ids.length; y++) {
          const mine = preference(ps[a]!, ids[x]!, ids[y]!);
          if (gold) {
            s.gold++;
            if (mine === preference(gold, ids[x]!, ids[y]!)) s.goldOk++;
            continue;
          }
          // Leave-one-out majority of the others on this response pair (ties in the vote: no majority)
          const votes = new Map<number, number>();
          js.forEach((_, b) => b !== a && votes.set(preference(ps[b]!, ids[x]!, ids[y]!), (votes.get(preference(ps[b]!, ids[x]!, ids[y]!)) ?? 0) + 1));
          const ranked = [...votes].sort((p, q) => q[1] - p[1]);
          if (ranked.length === 0 || (ranked.length > 1 && ranked[0]![1] === ranked[1]![1])) continue;
          s.pairs++;
          if (ranked[0]![0] === mine) s.agree++;
        }
    });
  }
  const annotators = [...stats].map(([annotatorId, s]): AnnotatorQuality => {
    const majorityAgreement = ratio(s.agree, s.pairs);
    const goldAccuracy = ratio(s.goldOk, s.gold);
    const reasons: string[] = [];
    if (majorityAgreement !== null && s.pairs >= bar.minEvidence && majorityAgreement < bar.minMajorityAgreement) {
      reasons.push(`agrees with the majority ${(majorityAgreement * 100).toFixed(0)}% of the time`);
    }
    if (goldAccuracy !== null && s.gold >= Math.min(bar.minEvidence, 5) && goldAccuracy < bar.minGoldAccuracy) {
      reasons.push(`${(goldAccuracy * 100).toFixed(0)}% right on gold`);
    }
    return {
      annotatorId,
      judgments: s.n,
      majorityAgreement,
      majorityPairs: s.pairs,
      goldAccuracy,
      goldPairs: s.gold,
      medianMs: median(s.ms),
      firstShownWins: ratio(s.first, s.strict),
      flagged: reasons.length > 0,
      reasons,
    };
  });
  return {
    judgments: rows.length,
    pairwiseAgreement: ratio(agree, total),
    krippendorffAlpha: Number.isFinite(alpha) ? alpha : null,
    fleissKappa: Number.isFinite(kappa) ? kappa : null,
    fleissSubjects: fleissRows.length,
    annotators,
  };
}
