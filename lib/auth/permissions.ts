// One table from permission to the roles that hold it (dub's pattern): every page,
// action and route names a permission, and this is the only place roles are listed.
import type { UserRole } from "@/lib/db/schema";

export const PERMISSIONS = {
  "self.read": ["admin", "annotator"],
  "tokens.create": ["admin", "annotator"],
  "annotate": ["admin", "annotator"],
  "projects.read": ["admin", "annotator"],
  "judgments.read": ["admin"],
  "users.read": ["admin"],
  "users.manage": ["admin"],
  "invites.create": ["admin"],
  "projects.manage": ["admin"],
  "rounds.manage": ["admin"],
  "models.score": ["admin"],
} as const satisfies Record<string, readonly UserRole[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(role: UserRole, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly UserRole[]).includes(role);
}
