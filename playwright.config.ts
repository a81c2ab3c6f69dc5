// End-to-end tests drive a real Chromium (Debian's, CHROMIUM_PATH) against the real
// platform started the way users start it (scripts/start.ts), on a fresh embedded
// database in a temporary folder.
import { defineConfig } from "@playwright/test";
import { E2E } from "./tests/e2e/settings";

const dataDir = E2E.dataDir;

export default defineConfig({
  testDir: "tests/e2e",
  testMatch: "**/*.spec.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [["list"], ["json"]] : [["list"]],
  outputDir: "test-results/e2e",
  use: {
    baseURL: E2E.baseUrl,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      // No sandbox as root; no background traffic on a machine without a network.
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: `rm -rf ${dataDir} && node --import tsx scripts/start.ts`,
    url: `${E2E.baseUrl}/api/health`,
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
    env: {
      ARBITER_DATA_DIR: dataDir,
      DATABASE_URL: "",
      PORT: String(E2E.port),
      HOST: "127.0.0.1",
      NEXTAUTH_URL: E2E.baseUrl,
      ADMIN_EMAIL: E2E.admin.email,
      ADMIN_PASSWORD: E2E.admin.password,
      SIGNIN_MAX_FAILURES: String(E2E.maxFailures),
      TRAINER_HEARTBEAT_MS: "1000",
    },
  },
});
