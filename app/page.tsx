import { redirect } from "next/navigation";
import { getSessionUser } from "@/lib/auth/current-user";
import { can } from "@/lib/auth/permissions";

export const dynamic = "force-dynamic";

export default async function Home() {
  const user = await getSessionUser();
  if (!user) redirect("/signin");
  redirect(can(user.role, "users.read") ? "/admin" : "/annotate");
}
