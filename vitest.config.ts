import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = { "@": path.resolve(import.meta.dirname) };

// The cluster suite (tests/cluster: two web processes and two trainers as real processes
// on one database) takes minutes and a built app, so `vitest run` leaves it out; it runs
// only when asked for by name: `vitest run --project cluster` (`npm run test:cluster`; `npm
// test` runs it after the end-to-end tests).
const clusterAsked = /--project[= ]cluster\b/.test(process.argv.join(" "));

export default defineConfig({
  resolve: { alias },
  test: {
    // the cluster's processes stop as `npm start` stops them (SIGTERM, their own grace), which can take longer than Vitest's 10 s
    ...(clusterAsked ? { teardownTimeout: 60_000 } : {}),
    projects: [
      {
        resolve: { alias },
        test: { name: "unit", include: ["tests/unit/**/*.test.ts", "tests/unit/**/*.test.tsx"], environment: "node" },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          environment: "node",
          globalSetup: ["tests/integration/global-setup.ts"],
          setupFiles: ["tests/integration/setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // One PostgreSQL for the whole run; files run one after another so that counts
          // and advisory locks in one file don't see another's rows mid-test.
          fileParallelism: false,
        },
      },
      ...(clusterAsked
        ? [
            {
              resolve: { alias },
              test: {
                name: "cluster",
                include: ["tests/cluster/**/*.test.ts"],
                environment: "node",
                globalSetup: ["tests/cluster/global-setup.ts"],
                setupFiles: ["tests/cluster/setup.ts"],
                testTimeout: 120_000,
                hookTimeout: 120_000,
                // one cluster for every file; files one after another (they share its trainers)
                fileParallelism: false,
              },
            },
          ]
        : []),
    ],
  },
});
