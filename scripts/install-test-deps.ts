// What the tests need beyond npm packages: a Chromium for Playwright. Playwright's own
// browser download cannot work without internet, so we use Debian's `chromium`,
// installed here when missing and we are root (as in CI).
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

export function ensureChromium(): string {
  const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (existsSync(chromium)) return chromium;
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) {
    throw new Error(
      `Chromium not found at ${chromium}. Install it (Debian/Ubuntu: sudo apt-get install -y chromium) or set CHROMIUM_PATH.`,
    );
  }
  console.log("[tests] installing Debian's chromium for the end-to-end tests…");
  execSync("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium", { stdio: "inherit" });
  if (!existsSync(chromium)) throw new Error(`apt-get installed chromium but ${chromium} is still missing`);
  return chromium;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`[tests] chromium: ${ensureChromium()}`);
}
