import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildIsCurrent, recordBuild, sourceHash } from "@/scripts/build-stamp";

describe("build stamp", () => {
  it("asks for a build until one is recorded, and again when a source changes", () => {
    const root = mkdtempSync(path.join(tmpdir(), "stamp-"));
    mkdirSync(path.join(root, "app"));
    mkdirSync(path.join(root, ".next"));
    writeFileSync(path.join(root, "app", "page.tsx"), "a");
    expect(buildIsCurrent(root)).toBe(false);
    writeFileSync(path.join(root, ".next", "BUILD_ID"), "x");
    recordBuild(root);
    expect(buildIsCurrent(root)).toBe(true);
    const before = sourceHash(root);
    writeFileSync(path.join(root, "app", "page.tsx"), "b");
    expect(sourceHash(root)).not.toBe(before);
    expect(buildIsCurrent(root)).toBe(false);
  });
});
