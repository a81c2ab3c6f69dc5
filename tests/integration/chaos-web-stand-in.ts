// The web process of the short chaos test (chaos-short.test.ts), in place of `next start`:
// the integration suite runs before the web app is built, and `next dev` compiles each
// route on first use for longer than the whole test may take. It serves the real route
// handlers the simulated annotators and the checks call (health, tasks/next, the submit)
// through node:http, in a process of its own that the test's Supervisor runs, SIGKILLs and
// restarts. What it does not exercise is Next's own server (routing, its request wrappers):
// bench:faults and start-supervisor.test.ts kill the real one.
import { createServer } from "node:http";
import { Readable } from "node:stream";
import { NextRequest } from "next/server";
import { GET as health } from "@/app/api/health/route";
import { POST as submit } from "@/app/api/v1/judgments/route";
import { GET as nextTask } from "@/app/api/v1/projects/[id]/tasks/next/route";

const port = Number(process.env.PORT);
const taskPath = /^\/api\/v1\/projects\/([^/]+)\/tasks\/next$/;

async function route(req: NextRequest): Promise<Response> {
  const { pathname } = req.nextUrl;
  if (pathname === "/api/health" && req.method === "GET") return health();
  const task = taskPath.exec(pathname);
  if (task && req.method === "GET") return nextTask(req, { params: Promise.resolve({ id: task[1]! }) });
  if (pathname === "/api/v1/judgments" && req.method === "POST") return submit(req, { params: Promise.resolve({}) });
  return new Response("not served by the chaos test's stand-in", { status: 404 });
}

const server = createServer((incoming, outgoing) => {
  const headers = new Headers();
  for (const [k, v] of Object.entries(incoming.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
  const hasBody = incoming.method !== "GET" && incoming.method !== "HEAD";
  const req = new NextRequest(new URL(incoming.url ?? "/", `http://127.0.0.1:${port}`), {
    method: incoming.method,
    headers,
    body: hasBody ? (Readable.toWeb(incoming) as ReadableStream<Uint8Array>) : undefined,
    duplex: "half",
  } as ConstructorParameters<typeof NextRequest>[1]);
  route(req)
    .then(async (res) => {
      const body = Buffer.from(await res.arrayBuffer());
      outgoing.writeHead(res.status, Object.fromEntries(res.headers));
      outgoing.end(body);
    })
    .catch((err: unknown) => {
      console.error(`[stand-in] ${err instanceof Error ? err.stack : String(err)}`);
      outgoing.writeHead(500).end();
    });
});
server.listen(port, "127.0.0.1", () => console.log(`[stand-in] serving on ${port} (pid ${process.pid})`));
