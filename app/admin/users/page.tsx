import { DataTable } from "@/app/components/data-table";
import { requirePermission } from "@/lib/auth/current-user";
import { listPendingInvites } from "@/lib/auth/invites";
import { listUsers } from "@/lib/users/users";
import { InviteForm } from "./invite-form";
import { EndSessionsButton, ResetPasswordButton, RevokeInviteButton, ToggleDisabledButton } from "./user-row-actions";

export default async function UsersPage() {
  const me = await requirePermission("users.read", "/admin/users");
  const [users, invites] = await Promise.all([listUsers(), listPendingInvites()]);
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Users</h1>
      <InviteForm />
      <DataTable headers={["Email", "Name", "Role", "Status", "Last sign-in", ""]}>
        {users.map((u) => (
          <tr key={u.id} className="border-t border-slate-100" data-testid={`user-row-${u.email}`}>
            <td className="px-3 py-2">{u.email}</td>
            <td className="px-3 py-2">{u.name}</td>
            <td className="px-3 py-2">{u.role}</td>
            <td className="px-3 py-2">{u.disabledAt ? <span className="text-red-700">disabled</span> : "active"}</td>
            <td className="px-3 py-2 text-slate-500">{u.lastLoginAt?.toLocaleString() ?? "never"}</td>
            <td className="space-x-2 whitespace-nowrap px-3 py-2 text-right">
              {u.id !== me.id && (
                <>
                  <ResetPasswordButton userId={u.id} email={u.email} needsYourPassword={u.role === "admin"} />
                  <EndSessionsButton userId={u.id} email={u.email} />
                  <ToggleDisabledButton userId={u.id} disabled={!!u.disabledAt} email={u.email} />
                </>
              )}
            </td>
          </tr>
        ))}
      </DataTable>
      {invites.length > 0 && (
        <section>
          <h2 className="mb-2 font-medium">Pending invitations</h2>
          <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white text-sm shadow-sm">
            {invites.map((i) => (
              <li key={i.id} className="flex items-center justify-between px-3 py-2">
                <span>
                  {i.email} · {i.role} · expires {i.expiresAt.toLocaleDateString()}
                </span>
                <RevokeInviteButton inviteId={i.id} />
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
