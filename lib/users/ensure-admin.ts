// First start: with no admin in the database, create one from ADMIN_EMAIL / ADMIN_PASSWORD,
// or admin@arbiter.local with a generated password that is printed once.
import { createUser, countActiveAdmins } from "./users";

export type FirstAdmin = { email: string; password?: string; generated: boolean };

export async function ensureAdmin(opts: { email?: string; password?: string }): Promise<FirstAdmin | null> {
  if ((await countActiveAdmins()) > 0) return null;
  const email = opts.email ?? "admin@arbiter.local";
  const { generatedPassword } = await createUser({ email, role: "admin", name: "Admin", password: opts.password });
  return { email, password: generatedPassword, generated: generatedPassword !== undefined };
}
