import { describe, expect, it } from "vitest";
import { can, PERMISSIONS } from "@/lib/auth/permissions";

describe("permissions", () => {
  it("give admins every permission", () => {
    for (const p of Object.keys(PERMISSIONS) as (keyof typeof PERMISSIONS)[]) expect(can("admin", p)).toBe(true);
  });
  it("keep annotators out of user and project management", () => {
    expect(can("annotator", "users.read")).toBe(false);
    expect(can("annotator", "users.manage")).toBe(false);
    expect(can("annotator", "invites.create")).toBe(false);
    expect(can("annotator", "projects.manage")).toBe(false);
    expect(can("annotator", "annotate")).toBe(true);
  });
});
