import type { ReactNode } from "react";
import { requirePermission } from "@/lib/auth/current-user";

export const dynamic = "force-dynamic";

// Checked before anything under /admin renders: an annotator gets a 403 page, never a flash of it.
export default async function AdminLayout({ children }: { children: ReactNode }) {
  await requirePermission("users.read", "/admin");
  return <>{children}</>;
}
