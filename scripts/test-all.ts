// `npm test`: installs what the tests need, runs every suite (unit + integration with
// Vitest, end-to-end with Playwright, then the cluster suite: two web processes and two
// trainers on one PostgreSQL, ARBITER_CLUSTER_DATABASE_URL's server or an embedded one),
// and ends with one line: `N passed, N failed`.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { ensureChromium } from "./install-test-deps";

const root = path.resolve(import.meta.dirname, "..");
const reports = path.join(root, "test-results");

type Counts = { passed: number; failed: number; skipped: number };

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

function readJson(file: string): unknown {
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined;
}

function vitestCounts(file: string): Counts | undefined {
  const r = readJson(file) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number } | undefined;
  return r && { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests };
}

function playwrightCounts(file: string): Counts | undefined {
  const r = readJson(file) as { stats: { expected: number; unexpected: number; flaky: number; skipped: number } } | undefined;
  return r && { passed: r.stats.expected + r.stats.flaky, failed: r.stats.unexpected, skipped: r.stats.skipped };
}

async function main(): Promise<number> {
  rmSync(reports, { recursive: true, force: true });
  mkdirSync(reports, { recursive: true });
  const chromium = ensureChromium();
  const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
  const suites: { name: string; code: number; counts?: Counts }[] = [];

  const vitestReport = path.join(reports, "vitest.json");
  const vitestCode = await run(bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${vitestReport}`]);
  suites.push({ name: "unit + integration (vitest)", code: vitestCode, counts: vitestCounts(vitestReport) });

  const pwReport = path.join(reports, "playwright.json");
  const pwCode = await run(bin("playwright"), ["test"], { CHROMIUM_PATH: chromium, PLAYWRIGHT_JSON_OUTPUT_NAME: pwReport });
  suites.push({ name: "end-to-end (playwright)", code: pwCode, counts: playwrightCounts(pwReport) });

  // after Playwright: its web server (the start script) has built the app the cluster serves
  const clusterReport = path.join(reports, "cluster.json");
  const clusterCode = await run(bin("vitest"), ["run", "--project", "cluster", "--reporter=default", "--reporter=json", `--outputFile.json=${clusterReport}`]);
  suites.push({ name: "cluster (vitest)", code: clusterCode, counts: vitestCounts(clusterReport) });

  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  console.log("");
  for (const s of suites) {
    // A runner that crashed before reporting, or ran nothing (a global setup that failed:
    // Vitest then reports no tests), counts as one failure, never as silence.
    const c = s.counts ?? { passed: 0, failed: 1, skipped: 0 };
    if ((s.code !== 0 || c.passed + c.skipped === 0) && c.failed === 0) c.failed = 1;
    console.log(`${s.name}: ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ""}`);
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
  }
  console.log(`${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ""}`);
  return total.failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`[tests] ${err instanceof Error ? err.message : String(err)}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  },
);
