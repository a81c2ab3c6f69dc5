import { findOpenInvite } from "@/lib/auth/invites";
import { AcceptInviteForm } from "./accept-form";

export const dynamic = "force-dynamic";

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const invite = await findOpenInvite(decodeURIComponent(token));
  if (!invite) {
    return (
      <div className="mx-auto max-w-md py-16 text-center">
        <h1 className="text-2xl font-semibold">Invitation not valid</h1>
        <p className="mt-2 text-slate-600">This link was already used, has expired or was revoked. Ask an admin for a new one.</p>
      </div>
    );
  }
  return (
    <div className="mx-auto max-w-sm py-10">
      <h1 className="text-2xl font-semibold">Join Arbiter</h1>
      <p className="mt-1 text-sm text-slate-600">
        You were invited as <strong>{invite.role}</strong> with <strong>{invite.email}</strong>. Choose your name and a password.
      </p>
      <AcceptInviteForm token={decodeURIComponent(token)} />
    </div>
  );
}
