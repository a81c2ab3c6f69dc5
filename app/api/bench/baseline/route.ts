// The benchmarks' baseline (BENCHMARKS.md): the same app and pool doing one bare
// 3-statement transaction, no auth, no validation. Answers 404 unless ARBITER_BENCH=1.
import { getPool } from "@/lib/db/client";

export async function POST(): Promise<Response> {
  if (process.env.ARBITER_BENCH !== "1") return new Response(null, { status: 404 });
  const client = await getPool().connect();
  try {
    await client.query("begin");
    await client.query("select 1");
    await client.query("select now()");
    await client.query("commit");
  } finally {
    client.release();
  }
  return Response.json({ ok: true });
}
