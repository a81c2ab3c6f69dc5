// V8 flags for the web process's heap. Every API request that Next.js routes to a route
// handler gets a NextRequest built on undici's Request with an AbortSignal; undici links
// it to the parent signal through a WeakRef and a FinalizationRegistry, and V8's young-
// generation collector treats WeakRef targets as live. So what each request leaves
// behind survives every scavenge, is promoted, and can only go in an old-generation
// collection: the old generation grew about 50 KB a step in `bench:annotation` (a), and a
// sampling heap profile put that on per-request objects. With V8's default limits the old generation filled every 7–25 s at 100
// steps/s, and each of those collections stalled every in-flight request for about
// 100 ms on 2 cores (BENCHMARKS.md, session 8). A larger initial old generation makes
// them several times rarer; memory is the price, hence the cap.
import os from "node:os";

/** `--initial-old-space-size` for the web process: the setting (MB; 0 leaves V8's default), at most 1/8 of the machine's memory. */
export function webHeapFlags(settingMb: number, totalMemoryBytes = os.totalmem()): string[] {
  const capMb = Math.floor(totalMemoryBytes / 8 / 2 ** 20);
  const mb = Math.min(settingMb, capMb);
  return mb >= 64 ? [`--initial-old-space-size=${mb}`] : [];
}
