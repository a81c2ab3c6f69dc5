import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { checkHealth, forgetHealthReading } from "@/lib/health";
import { registerWorker } from "@/trainer/worker-registry";

describe("trainer heartbeat", () => {
  it("shows in health with its backend while it beats, and drops out when stopped", async () => {
    const worker = await registerWorker(getDb(), { backend: "wasm (simd)", version: "test", heartbeatMs: 100 });
    const first = await checkHealth();
    expect(first).toMatchObject({ ok: true, db: "ok", trainer: { backend: "wasm (simd)", alive: true } });
    await new Promise((r) => setTimeout(r, 350));
    forgetHealthReading(); // health reuses a reading for a second
    const later = await checkHealth();
    expect(Date.parse(later.trainer.lastSeen!)).toBeGreaterThan(Date.parse(first.trainer.lastSeen!));
    await worker.stop();
    forgetHealthReading();
    const after = await checkHealth();
    expect(after.trainer).toMatchObject({ alive: false, lastSeen: null, workers: 0 });
  });
});
