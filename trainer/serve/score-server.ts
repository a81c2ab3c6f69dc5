// The trainer's small HTTP server for work the web app hands over: POST /score runs a
// reward model on responses. Bound to 127.0.0.1 by default (TRAINER_HOST to share it on a
// network), on TRAINER_PORT or a free port; its URL goes into trainer_workers so the web
// app finds it. Every request must carry the internal key (lib/models/internal-auth.ts).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { INTERNAL_HEADER, isInternalKey } from "@/lib/models/internal-auth";
import { scoreResponses } from "./reward-scorer";

const scoreRequest = z
  .object({
    artifactPath: z.string().min(1),
    messages: z.array(z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() })).min(1),
    responses: z.array(z.string()).min(1).max(256),
  })
  .strict();

const MAX_BODY = 4 * 1024 * 1024;

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export async function startScoreServer(opts: { secret: string; host: string; port: number; log: (line: string) => void }): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (!isInternalKey(opts.secret, req.headers[INTERNAL_HEADER] as string | undefined)) return send(res, 403, { error: "forbidden" });
    if (req.method !== "POST" || req.url !== "/score") return send(res, 404, { error: "not found" });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on("end", async () => {
      try {
        const body = scoreRequest.parse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        const started = performance.now();
        const scores = await scoreResponses(body.artifactPath, body.messages, body.responses);
        send(res, 200, { scores, ms: Math.round(performance.now() - started) });
      } catch (err) {
        const message = err instanceof z.ZodError ? err.issues.map((i) => i.message).join("; ") : err instanceof Error ? err.message : String(err);
        opts.log(`score failed: ${message}`);
        send(res, err instanceof z.ZodError || err instanceof SyntaxError ? 400 : 500, { error: message });
      }
    });
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(opts.port, opts.host, resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host === "0.0.0.0" ? "127.0.0.1" : opts.host}:${port}`;
  return { url, close: () => new Promise((r) => server.close(() => r())) };
}
