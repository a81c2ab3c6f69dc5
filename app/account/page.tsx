import { listApiTokens } from "@/lib/auth/api-tokens";
import { requirePermission } from "@/lib/auth/current-user";
import { PasswordForm, SignOutEverywhereButton } from "./session-controls";
import { TokenPanel } from "./token-panel";

export const dynamic = "force-dynamic";

/** The signed-in user's own page: API tokens, password, sessions. */
export default async function AccountPage() {
  const me = await requirePermission("self.read", "/account");
  const tokens = await listApiTokens(me.id);
  return (
    <div className="max-w-4xl space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">Your account</h1>
        <p className="text-sm text-slate-600">
          {me.email} · {me.role}
        </p>
      </div>
      <TokenPanel tokens={tokens} />
      {me.passwordHash && <PasswordForm />}
      <SignOutEverywhereButton />
    </div>
  );
}
