import { describe, expect, it } from "vitest";
import type { Checkpoint } from "@/trainer/checkpoint/hf-gpt2";
import { ModelCache } from "@/trainer/serve/model-cache";

/** A stand-in checkpoint whose one "tensor" records its disposal. */
function fake(disposed: string[]) {
  return (dir: string): Checkpoint => ({ config: {} as Checkpoint["config"], params: new Map([["w", { dispose: () => disposed.push(dir) }]]) as unknown as Checkpoint["params"] });
}

describe("ModelCache", () => {
  it("keeps the most recently used checkpoints and disposes the one it drops", async () => {
    const disposed: string[] = [];
    let loads = 0;
    const cache = new ModelCache(2, (dir) => (loads++, fake(disposed)(dir)));
    await cache.use("a", async () => {});
    await cache.use("b", async () => {});
    await cache.use("a", async () => {}); // a is now the most recent
    expect(loads).toBe(2);
    await cache.use("c", async () => {});
    expect(cache.loaded()).toEqual(["a", "c"]);
    expect(disposed).toEqual(["b"]);
  });

  it("does not dispose a checkpoint while a request still uses it", async () => {
    const disposed: string[] = [];
    const cache = new ModelCache(1, fake(disposed));
    let release!: () => void;
    const slow = cache.use("a", () => new Promise<void>((r) => (release = r)));
    await cache.use("b", async () => {}); // drops a, which is in use
    expect(disposed).toEqual([]);
    release();
    await slow;
    expect(disposed).toEqual(["a"]);
  });

  it("caches nothing when loading fails", async () => {
    const cache = new ModelCache(2, () => {
      throw new Error("no reward head");
    });
    await expect(cache.use("a", async () => {})).rejects.toThrow("no reward head");
    expect(cache.loaded()).toEqual([]);
  });
});
