import { checkHealth } from "@/lib/health";

export const dynamic = "force-dynamic";

/** 503 when down (a load balancer stops sending here), 200 when ok or degraded; the body says which and why (API.md). */
export async function GET(): Promise<Response> {
  const health = await checkHealth();
  return Response.json(health, { status: health.status === "down" ? 503 : 200, headers: { "cache-control": "no-store" } });
}
