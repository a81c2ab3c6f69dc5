// One table from permission to the roles that hold it (dub's pattern): every page,
// action and route names a permission, and this is the only place roles are listed.
import type { UserRole } from "@/lib/db/schema";

export const PERMISSIONS = {
  "self.read": ["admin", "annotator"],
  "self.manage": ["admin", "annotator"], // one's own password and sessions
  "tokens.create": ["admin", "annotator"],
  "tokens.manage": ["admin", "annotator"], // list and revoke one's own (an admin: anyone's)
  "annotate": ["admin", "annotator"],
  "projects.read": ["admin", "annotator"],
  "judgments.read": ["admin"],
  "users.read": ["admin"],
  "users.manage": ["admin"], // disable, enable, end sessions
  "users.password": ["admin"], // reset another user's password
  "invites.create": ["admin"],
  "projects.manage": ["admin"],
  "rounds.manage": ["admin"],
  "models.score": ["admin"],
} as const satisfies Record<string, readonly UserRole[]>;

export type Permission = keyof typeof PERMISSIONS;

/**
 * Permissions only a signed-in browser carries, never an API token (the CLI works on the
 * database directly). A leaked token must not be able to outlive its revocation: mint more
 * tokens, or set a password it could sign in with (its own, or another's by an admin's
 * reset), or make a new account (an invitation). One's own password change also checks a
 * password, which only the sign-in form's owner should be guessing at.
 */
export const SESSION_ONLY: ReadonlySet<Permission> = new Set<Permission>(["tokens.create", "self.manage", "users.password", "invites.create"]);

export function can(role: UserRole, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly UserRole[]).includes(role);
}
