import Link from "next/link";
import { getSessionUser } from "@/lib/auth/current-user";
import { can } from "@/lib/auth/permissions";
import { SignOutButton } from "./sign-out-button";

export async function Nav() {
  const user = await getSessionUser();
  return (
    <header className="border-b border-slate-200 bg-white">
      <nav className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-5 gap-y-2 px-4 py-3 text-sm">
        <Link href="/" className="text-base font-semibold tracking-tight text-brand-700">
          Arbiter
        </Link>
        {user && (
          <>
            <Link href="/annotate" className="text-slate-600 hover:text-slate-900">
              Annotate
            </Link>
            {can(user.role, "users.read") && (
              <>
                <Link href="/admin" className="text-slate-600 hover:text-slate-900">
                  Admin
                </Link>
                <Link href="/admin/projects" className="text-slate-600 hover:text-slate-900">
                  Projects
                </Link>
                <Link href="/admin/users" className="text-slate-600 hover:text-slate-900">
                  Users
                </Link>
              </>
            )}
            <Link href="/account" className="ml-auto truncate text-slate-500 hover:text-slate-900" data-testid="signed-in-as" title="Your account: API tokens, password, sessions">
              {user.email} · {user.role}
            </Link>
            <SignOutButton />
          </>
        )}
      </nav>
    </header>
  );
}
