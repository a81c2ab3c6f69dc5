import Link from "next/link";
import { notFound } from "next/navigation";
import { DataTable } from "@/app/components/data-table";
import { requirePermission } from "@/lib/auth/current-user";
import { listBaseModels } from "@/lib/models/paths";
import { listRewardModels } from "@/lib/models/reward-models";
import { getProject } from "@/lib/projects/projects";
import { roundSettingsSchema } from "@/lib/rounds/round-settings";
import { listRounds, roundView } from "@/lib/rounds/round-view";
import { CancelRoundButton } from "./cancel-round-button";
import { LiveRound } from "./live-round";
import { RoundBrowser } from "./round-browser";
import { StartRoundForm } from "./start-round-form";

export const dynamic = "force-dynamic";

const fmt = (v: number | undefined | null, digits = 3) => (v === undefined || v === null ? "–" : v.toFixed(digits));
const when = (d: Date | null) => (d ? d.toISOString().replace("T", " ").slice(0, 19) : "–");

export default async function RoundsPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requirePermission("rounds.manage", `/admin/projects/${id}/rounds`);
  const project = await getProject(id);
  if (!project) notFound();
  const [rounds, models] = await Promise.all([listRounds(id), listRewardModels(id)]);
  const latest = rounds[0] ? await roundView(rounds[0].id) : undefined;
  const epochs = latest?.history.filter((m) => m.phase === "reward_model") ?? [];
  const steps = [...new Set(epochs.map((m) => m.step))];
  const value = (step: number, name: string) => epochs.find((m) => m.step === step && m.name === name)?.value;
  const settings = roundSettingsSchema.parse(project.roundSettings ?? {});
  return (
    <div className="min-w-0 space-y-6">
      <div className="flex flex-wrap items-baseline gap-3">
        <h1 className="text-2xl font-semibold">Rounds · {project.name}</h1>
        <Link href={`/admin/projects/${id}`} className="ml-auto text-sm text-brand-700 underline">
          ← project
        </Link>
      </div>
      <p className="text-sm text-slate-600">
        A round runs the phases its settings list: SFT on the imported demonstrations, a reward model on the judgments so far (excluded
        annotators left out), PPO on a LoRA adapter against it with a KL penalty to the SFT model, an evaluation on held-out prompts, and the
        new policy&apos;s answers back to annotators (source &quot;policy@round-N&quot;). Models are saved in Hugging Face&apos;s GPT-2 layout. A
        project&apos;s round threshold starts rounds by themselves.
      </p>
      <StartRoundForm projectId={id} baseModels={listBaseModels(id)} defaultEpochs={settings.rewardModel.epochs} />

      <DataTable headers={["Round", "Status", "Phase", "Trigger", "Started", "Finished", "Note", ""]} testId="rounds">
        {rounds.map((r) => (
          <tr key={r.id} className="border-t border-slate-100">
            <td className="px-3 py-2">{r.number}</td>
            <td className="px-3 py-2">{r.status}</td>
            <td className="px-3 py-2">{r.phase ?? "–"}</td>
            <td className="px-3 py-2">{r.trigger}</td>
            <td className="px-3 py-2">{when(r.startedAt)}</td>
            <td className="px-3 py-2">{when(r.finishedAt)}</td>
            <td className="px-3 py-2 text-red-700">{r.error ?? ""}</td>
            <td className="px-3 py-2">
              {(r.status === "queued" || r.status === "running") && (
                <CancelRoundButton projectId={id} roundId={r.id} number={r.number} requested={r.cancelRequestedAt !== null} />
              )}
            </td>
          </tr>
        ))}
      </DataTable>

      {latest && (
        <LiveRound
          key={latest.id}
          roundId={latest.id}
          number={latest.number}
          initial={{ status: latest.status, phase: latest.phase, error: latest.error ?? null }}
          serverNow={Date.now()}
        />
      )}

      {rounds.length > 0 && (
        <RoundBrowser
          rounds={rounds.map((r) => ({ id: r.id, number: r.number, status: r.status }))}
          initiallyPicked={rounds.slice(1, 2).map((r) => r.id)}
        />
      )}

      {latest && steps.length > 0 && (
        <section className="space-y-2">
          <h2 className="font-medium">Round {latest.number}: reward model by epoch</h2>
          <DataTable headers={["Epoch", "Train loss", "Val loss", "Val accuracy", "Mean margin", "ECE", "Tie ν", "Tokens/s"]} testId="round-epochs">
            {steps.map((s) => (
              <tr key={s} className="border-t border-slate-100">
                <td className="px-3 py-2">{s}</td>
                <td className="px-3 py-2">{fmt(value(s, "train/loss"))}</td>
                <td className="px-3 py-2">{fmt(value(s, "val/loss"))}</td>
                <td className="px-3 py-2">{fmt(value(s, "val/accuracy"))}</td>
                <td className="px-3 py-2">{fmt(value(s, "val/margin"))}</td>
                <td className="px-3 py-2">{fmt(value(s, "val/ece"))}</td>
                <td className="px-3 py-2">{fmt(value(s, "tie/nu"))}</td>
                <td className="px-3 py-2">{fmt(value(s, "tokens_per_second"), 0)}</td>
              </tr>
            ))}
          </DataTable>
        </section>
      )}

      <section className="space-y-2">
        <h2 className="font-medium">Reward models</h2>
        <DataTable headers={["Id", "Round", "Val accuracy", "Val loss", "ECE", "Trained on judgments up to", "Size", ""]} testId="reward-models">
          {models.map((m) => (
            <tr key={m.id} className="border-t border-slate-100">
              <td className="px-3 py-2 font-mono text-xs">{m.id}</td>
              <td className="px-3 py-2">{m.roundNumber ?? "–"}</td>
              <td className="px-3 py-2">{fmt(m.metrics["val/accuracy"])}</td>
              <td className="px-3 py-2">{fmt(m.metrics["val/loss"])}</td>
              <td className="px-3 py-2">{fmt(m.metrics["val/ece"])}</td>
              <td className="px-3 py-2">{when(m.judgmentWatermark)}</td>
              <td className="px-3 py-2">{m.sizeBytes ? `${(m.sizeBytes / 1e6).toFixed(1)} MB` : "–"}</td>
              <td className="px-3 py-2">
                <a href={`/api/v1/models/${m.id}/download`} download className="text-brand-700 underline">
                  Download
                </a>
              </td>
            </tr>
          ))}
        </DataTable>
      </section>
    </div>
  );
}
