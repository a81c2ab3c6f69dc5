#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, in the project root so that .data/ is the folder
// `npm start` uses.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const tsx = path.join(path.dirname(require.resolve("tsx/package.json")), "dist", "cli.mjs");
const result = spawnSync(process.execPath, [tsx, path.join(root, "cli", "main.ts"), ...process.argv.slice(2)], {
  stdio: "inherit",
  cwd: root,
  env: { ...process.env, TSX_TSCONFIG_PATH: path.join(root, "tsconfig.json") },
});
process.exit(result.status ?? 1);
