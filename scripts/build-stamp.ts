// "Build when needed": a hash of everything that goes into `next build`, stored next to
// the build; a start whose hash matches skips the build.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

const INPUTS = ["app", "lib", "proxy.ts", "next.config.js", "postcss.config.mjs", "tsconfig.json", "package-lock.json"];

function* files(p: string): Generator<string> {
  if (!existsSync(p)) return;
  if (statSync(p).isDirectory()) {
    for (const name of readdirSync(p).sort()) yield* files(path.join(p, name));
  } else {
    yield p;
  }
}

export function sourceHash(root: string): string {
  const h = createHash("sha256");
  for (const input of INPUTS) {
    for (const file of files(path.join(root, input))) {
      h.update(path.relative(root, file)).update("\0").update(readFileSync(file)).update("\0");
    }
  }
  return h.digest("hex");
}

const stampFile = (root: string) => path.join(root, ".next", "arbiter-source-hash");

export function buildIsCurrent(root: string): boolean {
  const stamp = stampFile(root);
  if (!existsSync(path.join(root, ".next", "BUILD_ID")) || !existsSync(stamp)) return false;
  return readFileSync(stamp, "utf8") === sourceHash(root);
}

export function recordBuild(root: string): void {
  writeFileSync(stampFile(root), sourceHash(root));
}
