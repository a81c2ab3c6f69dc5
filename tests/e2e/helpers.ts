import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, type Page } from "@playwright/test";
import { E2E } from "./settings";

/** Signs in through the form; by default waits until the app has left /signin. */
export async function signIn(page: Page, email: string, password: string, opts: { expectFailure?: boolean } = {}): Promise<void> {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (opts.expectFailure) await expect(page.getByTestId("form-error")).toBeVisible();
  else await page.waitForURL((url) => !url.pathname.startsWith("/signin"));
}

export async function signInAsAdmin(page: Page): Promise<void> {
  await signIn(page, E2E.admin.email, E2E.admin.password);
  await expect(page).toHaveURL(/\/admin$/);
}

/** The `arbiter` CLI against the running platform's database, as a user would run it. */
export async function arbiterCli(...args: string[]): Promise<string> {
  const env = { ...process.env, ARBITER_DATA_DIR: E2E.dataDir, DATABASE_URL: "" };
  const { stdout } = await promisify(execFile)(process.execPath, ["bin/arbiter.mjs", ...args], { env, timeout: 60_000 });
  return stdout.trim();
}

export function uniqueEmail(label: string): string {
  return `${label}-${Math.random().toString(36).slice(2, 8)}@e2e.test`;
}
