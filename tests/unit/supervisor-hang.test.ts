// npm start's supervisor notices a hung web app (issue 19 review): a real child process
// serving /api/health on a port, watched by webHealthWatch as scripts/start.ts watches the
// web app. Answers of any status (503: the database is down) keep it alive; stopped with
// SIGSTOP (it accepts connections but never answers), it is killed after three missed
// checks in a row, said on the console, and restarted, and the new process serves.
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "@/lib/db/embedded";
import { Supervisor, webHealthWatch } from "@/scripts/supervisor";

const said: string[] = [];
const supervisor = new Supervisor({ say: (line) => said.push(line), backoff: { initialMs: 100, maxMs: 1_000, resetAfterMs: 60_000 } });
afterAll(() => supervisor.stop(2_000));

const SERVER = `require("node:http").createServer((req, res) => { res.writeHead(503, { "content-type": "application/json" }); res.end('{"status":"down"}'); }).listen(Number(process.env.PORT), "127.0.0.1", () => console.log("up"));`;

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${said.join(" | ")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const answers = (url: string) => () =>
  fetch(url, { signal: AbortSignal.timeout(300) }).then(
    (r) => r.status === 503,
    () => false,
  );

describe("the supervisor's health watch", () => {
  it("keeps a child that answers (even 503), and kills and restarts one that stops answering", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/api/health`;
    const health = webHealthWatch({ HOST: "127.0.0.1", PORT: port, ARBITER_WEB_HEALTH_INTERVAL_MS: 200, ARBITER_WEB_HEALTH_TIMEOUT_MS: 300, ARBITER_WEB_HEALTH_FAILURES: 3 }, 10_000);
    expect(health).toBeDefined();
    const first = supervisor.run({ name: "web app", command: process.execPath, args: ["-e", SERVER], options: { stdio: "ignore", env: { ...process.env, PORT: String(port) } }, health });
    await until("the child to serve", answers(url), 10_000);
    await new Promise((r) => setTimeout(r, 1_500)); // seven checks, all answered 503
    expect(said).toEqual([]);

    process.kill(first.pid!, "SIGSTOP"); // hung: the kernel still accepts connections, nobody answers
    const stoppedAt = Date.now();
    await until("the hang to be said", () => said.some((l) => /web app did not answer its health check 3 times in a row .* killing it \(SIGKILL\)/.test(l)), 10_000);
    await until("the restart", () => said.some((l) => /web app restarted \(pid \d+\)/.test(l)), 10_000);
    expect(said.find((l) => l.includes("stopped unexpectedly"))).toMatch(/web app stopped unexpectedly \(killed by SIGKILL\)/);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000); // 3 × (200 ms + 300 ms timeout), the backoff, and slack
    const second = supervisor.current("web app")!;
    expect(second.pid).not.toBe(first.pid);
    await until("the new child to serve", answers(url), 10_000);
  }, 30_000);

  it("is off when ARBITER_WEB_HEALTH_INTERVAL_MS is 0", () => {
    expect(webHealthWatch({ HOST: "0.0.0.0", PORT: 1, ARBITER_WEB_HEALTH_INTERVAL_MS: 0, ARBITER_WEB_HEALTH_TIMEOUT_MS: 100, ARBITER_WEB_HEALTH_FAILURES: 1 }, 0)).toBeUndefined();
  });
});
