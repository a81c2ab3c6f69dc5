// `npm run demo`: the platform as `npm start` runs it, plus the demo project (lib/demo) and
// simulated annotators who judge by the demo task's hidden oracle with noise. Rounds start
// themselves at the project's threshold (SFT, reward model, PPO, evaluation, the policy's
// answers back to the annotators); after each one this prints how often the new policy and
// the SFT model answer held-out prompts right, by the oracle. Watch it live on the rounds
// page. Ctrl-C stops everything.
import { spawn } from "node:child_process";
import path from "node:path";
import { and, eq, isNull, like } from "drizzle-orm";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getDb } from "@/lib/db/client";
import { openDatabase } from "@/lib/db/open-database";
import { projects, users } from "@/lib/db/schema";
import { createDemoProject } from "@/lib/demo/demo-project";
import { DEMO_TASK, oracleScore } from "@/lib/demo/number-words";
import { addMembers, updateProject } from "@/lib/projects/projects";
import { runSimulation } from "@/lib/sim/simulated-annotators";
import { createUser, getUserByEmail } from "@/lib/users/users";

const root = path.resolve(import.meta.dirname, "..");
const say = (line: string) => console.log(`[demo] ${line}`);
const ANNOTATORS = 8;
const NOISE = 0.1;

async function main(): Promise<void> {
  const platform = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts", "start.ts")], { cwd: root, stdio: ["ignore", "pipe", "inherit"], env: process.env });
  const url = await new Promise<string>((resolve, reject) => {
    platform.stdout!.on("data", (d: Buffer) => {
      process.stdout.write(d);
      const m = /Arbiter is running at (\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    platform.on("exit", (code) => reject(new Error(`the platform exited with ${code}`)));
  });
  const stop = () => {
    platform.kill("SIGTERM");
    platform.on("exit", () => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  // the same database the platform opened (the embedded server is reused while it runs)
  process.env.DATABASE_URL = (await openDatabase()).url;
  const db = getDb();
  const [admin] = await db.select().from(users).where(and(eq(users.role, "admin"), isNull(users.disabledAt))).limit(1);
  if (!admin) throw new Error("no admin account");
  const [existing] = await db.select().from(projects).where(like(projects.name, "Demo: digits in words%")).limit(1);
  const project = existing ?? (await createDemoProject(admin.id));
  say(`${existing ? "using" : "created"} the demo project: ${url}/admin/projects/${project.id}/rounds`);

  const tokens: string[] = [];
  for (let i = 0; i < ANNOTATORS; i++) {
    const email = `demo-annotator-${i}@arbiter.sim`;
    const user = (await getUserByEmail(email)) ?? (await createUser({ email, role: "annotator", name: `Simulated annotator ${i}` })).user;
    tokens.push((await createApiToken(user.id, "demo")).token);
  }
  await addMembers(project.id, Array.from({ length: ANNOTATORS }, (_, i) => `demo-annotator-${i}@arbiter.sim`));
  say(`${ANNOTATORS} simulated annotators judge by the hidden ${DEMO_TASK} oracle (${NOISE * 100}% random verdicts); a round starts every ${project.roundThreshold} judgments`);

  const headers = { authorization: `Bearer ${(await createApiToken(admin.id, "demo")).token}` };
  const reported = new Set<string>();
  const threshold = project.roundThreshold;
  for (let pass = 1; ; pass++) {
    // the first round trains on every first judgment, not on the threshold's first few
    if (pass === 1) await updateProject(project.id, { roundThreshold: null });
    const { judgments } = await runSimulation({ url, projectId: project.id, tokens, oracle: DEMO_TASK, noise: NOISE, seed: pass });
    if (pass === 1) await updateProject(project.id, { roundThreshold: threshold });
    if (judgments) say(`${judgments} judgments`);
    const rounds = (await (await fetch(`${url}/api/v1/projects/${project.id}/rounds`, { headers })).json()) as { id: string; number: number; status: string }[];
    for (const r of rounds.filter((x) => x.status === "succeeded" && !reported.has(x.id))) {
      reported.add(r.id);
      const res = await fetch(`${url}/api/v1/rounds/${r.id}/evaluation`, { headers });
      if (!res.ok) continue;
      const { samples } = (await res.json()) as { samples: { model: string; text: string; prompt: { content: string }[] | null }[] };
      const right = (model: string) => {
        const s = samples.filter((x) => x.model === model);
        return s.length ? s.reduce((a, x) => a + oracleScore((x.prompt ?? []).map((m) => m.content).join("\n"), x.text), 0) / s.length : NaN;
      };
      say(`round ${r.number}: on held-out prompts the policy is right ${(100 * right("policy")).toFixed(0)}% of the time, the SFT model ${(100 * right("sft")).toFixed(0)}%`);
    }
    await new Promise((res) => setTimeout(res, 5000));
  }
}

main().catch((err) => {
  console.error(`[demo] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
