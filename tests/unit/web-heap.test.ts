import { describe, expect, it } from "vitest";
import { webHeapFlags } from "@/scripts/web-heap";

const GiB = 2 ** 30;

describe("webHeapFlags", () => {
  it("gives the web process the configured initial old generation", () => {
    expect(webHeapFlags(512, 24 * GiB)).toEqual(["--initial-old-space-size=512"]);
  });

  it("takes at most an eighth of the machine's memory", () => {
    expect(webHeapFlags(512, 2 * GiB)).toEqual(["--initial-old-space-size=256"]);
  });

  it("leaves V8's default for 0 and for machines too small to spare 64 MB", () => {
    expect(webHeapFlags(0, 24 * GiB)).toEqual([]);
    expect(webHeapFlags(512, 256 * 2 ** 20)).toEqual([]);
  });
});
