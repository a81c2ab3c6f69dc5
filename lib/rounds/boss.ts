// The web app's pg-boss handle, only for sending round jobs: no maintenance or schedules
// here (the trainer's instance supervises the queue). One per process, started lazily.
import PgBoss from "pg-boss";
import { ROUND_QUEUE } from "./queue";

const g = globalThis as unknown as { __arbiterBoss?: Promise<PgBoss> };

export function getSender(): Promise<PgBoss> {
  g.__arbiterBoss ??= (async () => {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set");
    const boss = new PgBoss({ connectionString: url, max: 2, supervise: false, schedule: false });
    boss.on("error", (err) => console.error("[queue]", err.message));
    await boss.start();
    await boss.createQueue(ROUND_QUEUE);
    return boss;
  })().catch((err) => {
    g.__arbiterBoss = undefined;
    throw err;
  });
  return g.__arbiterBoss;
}

export async function stopSender(): Promise<void> {
  const boss = await g.__arbiterBoss?.catch(() => undefined);
  g.__arbiterBoss = undefined;
  await boss?.stop({ graceful: false, wait: true });
}
