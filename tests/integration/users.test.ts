import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { verifyPassword } from "@/lib/auth/password";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { ensureAdmin } from "@/lib/users/ensure-admin";
import { createUser, DuplicateUserError, LastAdminError, setUserDisabled, getActiveUser } from "@/lib/users/users";
import { uniqueEmail } from "./helpers";

describe("users", () => {
  it("stores an argon2id hash, never the password, and lower-cases the email", async () => {
    const email = uniqueEmail("Mixed").replace("mixed", "MiXeD");
    const { user } = await createUser({ email: email.toUpperCase(), role: "annotator", password: "correct horse" });
    expect(user.email).toBe(email.toLowerCase());
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(user.passwordHash).not.toContain("correct horse");
    expect(await verifyPassword(user.passwordHash!, "correct horse")).toBe(true);
    expect(await verifyPassword(user.passwordHash!, "wrong horse")).toBe(false);
  });

  it("generates a password when none is given and returns it once", async () => {
    const { user, generatedPassword } = await createUser({ email: uniqueEmail(), role: "annotator" });
    expect(generatedPassword).toMatch(/^[\w-]{16,}$/);
    expect(await verifyPassword(user.passwordHash!, generatedPassword!)).toBe(true);
  });

  it("refuses a second user with the same email, whatever its case", async () => {
    const email = uniqueEmail();
    await createUser({ email, role: "annotator", password: "password-long-1" });
    await expect(createUser({ email: email.toUpperCase(), role: "admin", password: "password-long-2" })).rejects.toBeInstanceOf(
      DuplicateUserError,
    );
  });

  it("rejects invalid input before touching the database", async () => {
    await expect(createUser({ email: "not-an-email", role: "annotator" })).rejects.toThrow(/valid email/);
    await expect(createUser({ email: uniqueEmail(), role: "annotator", password: "short" })).rejects.toThrow(/at least 12/);
  });

  it("disables and re-enables a user; a disabled user is not active", async () => {
    const { user } = await createUser({ email: uniqueEmail(), role: "annotator", password: "password-long-1" });
    await setUserDisabled(user.id, true);
    expect(await getActiveUser(user.id)).toBeUndefined();
    await setUserDisabled(user.id, false);
    expect((await getActiveUser(user.id))?.id).toBe(user.id);
  });

  it("never disables the last active admin", async () => {
    const db = getDb();
    // Leave exactly one active admin: disable every other.
    const { user: admin } = await createUser({ email: uniqueEmail("admin"), role: "admin", password: "password-long-1" });
    const others = await db.select().from(users).where(eq(users.role, "admin"));
    for (const other of others) if (other.id !== admin.id && !other.disabledAt) await setUserDisabled(other.id, true);
    await expect(setUserDisabled(admin.id, true)).rejects.toBeInstanceOf(LastAdminError);
    expect((await getActiveUser(admin.id))?.id).toBe(admin.id);
  });

  it("creates no second admin on start when one exists", async () => {
    await createUser({ email: uniqueEmail("admin"), role: "admin", password: "password-long-1" });
    expect(await ensureAdmin({ email: uniqueEmail("first") })).toBeNull();
  });
});
