import Link from "next/link";
import { requirePermission } from "@/lib/auth/current-user";
import { checkHealth } from "@/lib/health";
import { listUsers } from "@/lib/users/users";

export default async function AdminHome() {
  await requirePermission("users.read", "/admin");
  const [health, users] = await Promise.all([checkHealth(), listUsers()]);
  const active = users.filter((u) => !u.disabledAt);
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Admin</h1>
      <section className="grid gap-4 sm:grid-cols-3">
        <Card title="Database" value={health.db === "ok" ? "connected" : "unreachable"} good={health.db === "ok"} />
        <Card
          title="Trainer"
          value={health.trainer.alive ? `alive · ${health.trainer.backend}` : health.trainer.lastSeen ? "not reporting" : "never seen"}
          good={health.trainer.alive}
          hint={health.trainer.lastSeen ? `last heartbeat ${new Date(health.trainer.lastSeen).toLocaleString()}` : undefined}
        />
        <Card
          title="Users"
          value={`${active.filter((u) => u.role === "admin").length} admins · ${active.filter((u) => u.role === "annotator").length} annotators`}
          good
        />
      </section>
      {health.reasons.length > 0 && (
        <ul className="list-disc pl-5 text-sm text-amber-700" data-testid="health-reasons">
          {health.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
      <p className="text-sm text-slate-600">
        <Link href="/admin/users" className="text-brand-700 underline">
          Manage users and invitations
        </Link>
      </p>
    </div>
  );
}

function Card(props: { title: string; value: string; good: boolean; hint?: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <div className="text-xs uppercase tracking-wide text-slate-500">{props.title}</div>
      <div className={`mt-1 font-medium ${props.good ? "text-emerald-700" : "text-amber-700"}`}>{props.value}</div>
      {props.hint && <div className="mt-1 text-xs text-slate-500">{props.hint}</div>}
    </div>
  );
}
