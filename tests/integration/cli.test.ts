// The `arbiter` CLI as a user runs it: a separate process against the same database.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { userForApiToken } from "@/lib/auth/api-tokens";
import { getUserByEmail } from "@/lib/users/users";
import { aProject } from "./fixtures";
import { uniqueEmail } from "./helpers";

const run = promisify(execFile);
const bin = path.resolve(import.meta.dirname, "../../bin/arbiter.mjs");

function arbiter(...args: string[]) {
  return run(process.execPath, [bin, ...args], { env: { ...process.env }, timeout: 60_000 });
}

describe("arbiter CLI", () => {
  it("adds a user with a generated password and creates a working token for them", async () => {
    const email = uniqueEmail("cli");
    const added = await arbiter("user", "add", "--email", email, "--role", "admin", "--name", "Cli Admin");
    expect(added.stdout).toMatch(new RegExp(`created admin ${email}`));
    expect(added.stdout).toMatch(/password: \S{16,}/);
    expect((await getUserByEmail(email))?.role).toBe("admin");

    const { stdout } = await arbiter("token", "create", "--email", email, "--name", "ci");
    const token = stdout.trim();
    expect((await userForApiToken(token))?.email).toBe(email);
  });

  it("fails with usage and exit code 2 on bad input, creating nothing", async () => {
    const email = uniqueEmail("bad");
    await expect(arbiter("user", "add", "--email", email, "--role", "owner")).rejects.toMatchObject({ code: 2 });
    await expect(arbiter("token", "create", "--email", uniqueEmail("nobody"))).rejects.toMatchObject({ code: 2 });
    await expect(arbiter("frobnicate")).rejects.toMatchObject({ code: 2 });
    expect(await getUserByEmail(email)).toBeUndefined();
  });

  it("migrate succeeds on an up-to-date database", async () => {
    expect((await arbiter("migrate")).stdout).toContain("migrations applied");
  });

  it("imports a gzipped HH-RLHF file: all-or-nothing by default (exit 1), --on-invalid skip imports the valid records", async () => {
    const project = await aProject({ mode: "pairwise" });
    const file = path.join(mkdtempSync(path.join(tmpdir(), "arbiter-cli-")), "test.jsonl.gz");
    const hh = (q: string, a: string, b: string) => JSON.stringify({ chosen: `\n\nHuman: ${q}\n\nAssistant: ${a}`, rejected: `\n\nHuman: ${q}\n\nAssistant: ${b}` });
    writeFileSync(file, gzipSync([hh("Hi", "Hello!", "Go away."), "{broken", hh("Bye", "Goodbye!", "Whatever.")].join("\n")));
    const failed = arbiter("import", "--project", project.id, "--file", file);
    await expect(failed).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/1 invalid line\(s\): nothing imported/) });
    const { stdout } = await arbiter("import", "--project", project.id, "--file", file, "--on-invalid", "skip");
    expect(JSON.parse(stdout)).toMatchObject({
      committed: true,
      detected: { format: "ndjson", gzip: true, dataset: "hh-rlhf" },
      imported: { records: 2, judgments: 2 },
      skipped: [{ line: 2, message: expect.stringMatching(/invalid JSON/) }],
    });
    await expect(arbiter("import", "--project", project.id, "--file", file, "--dataset", "nonsense")).rejects.toMatchObject({ code: 2 });
  });
});
