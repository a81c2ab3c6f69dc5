// Two web starts in one folder build one after the other (scripts/build-lock.ts), and the
// lock is per machine and folder: another folder's build does not wait.
import { describe, expect, inject, it } from "vitest";
import { withBuildLock } from "@/scripts/build-lock";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the build lock", () => {
  it("runs two builds of one folder one after the other, and another folder's beside them", async () => {
    const url = inject("databaseUrl");
    const events: string[] = [];
    const build = (name: string, root: string) =>
      withBuildLock(url, root, async () => {
        events.push(`${name} start`);
        await sleep(300);
        events.push(`${name} end`);
      });
    const first = build("a", "/srv/arbiter");
    await sleep(100); // a holds the lock
    await Promise.all([first, build("b", "/srv/arbiter"), build("other", "/srv/elsewhere")]);
    expect(events.indexOf("b start")).toBeGreaterThan(events.indexOf("a end"));
    expect(events.indexOf("other start")).toBeLessThan(events.indexOf("a end"));
  });

  it("is released when the build fails", async () => {
    const url = inject("databaseUrl");
    await expect(withBuildLock(url, "/srv/failing", async () => Promise.reject(new Error("next build exited with 1")))).rejects.toThrow(/exited/);
    expect(await withBuildLock(url, "/srv/failing", async () => "built")).toBe("built");
  });
});
