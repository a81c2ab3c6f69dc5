// Small files that would make the web process exhaust its memory or disk are answered
// through the real import route (issue 21 review): a gzipped Parquet body unpacking past
// IMPORT_MAX_DECOMPRESSED_BYTES (413, nothing left in the temporary directory), a Parquet
// file whose reading would pass IMPORT_PARQUET_MEMORY_BYTES (400, naming it), and an
// oasst1 chain whose prompts would grow with the square of its depth (its rankings past
// the prompt limit listed as invalid lines, the others imported).
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { gzipSync } from "node:zlib";
import { eq, sql } from "drizzle-orm";
import { NextRequest } from "next/server";
import { describe, expect, it, vi } from "vitest";
import { POST as importRoute } from "@/app/api/v1/projects/[id]/import/route";
import { createApiToken } from "@/lib/auth/api-tokens";
import { getDb } from "@/lib/db/client";
import { prompts } from "@/lib/db/schema";
import { MAX_TEXT } from "@/lib/import/records";
import { craftParquet } from "../unit/parquet-craft";
import { anAdmin, aProject } from "./fixtures";

vi.hoisted(() => {
  process.env.IMPORT_MAX_BYTES = String(1024 * 1024);
  process.env.IMPORT_PARQUET_MEMORY_BYTES = String(32 * 1024 * 1024);
});

async function post(query: string, body: Uint8Array | string) {
  const project = await aProject({ mode: "pairwise" });
  const { token } = await createApiToken((await anAdmin()).id, "bounds");
  const req = new NextRequest(`http://localhost/api/v1/projects/${project.id}/import${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
    body,
  } as ConstructorParameters<typeof NextRequest>[1]);
  const res = await importRoute(req, { params: Promise.resolve({ id: project.id }) });
  return { project, status: res.status, body: await res.json() };
}

const spoolFolders = () => readdirSync(tmpdir()).filter((n) => n.startsWith(`arbiter-import-${process.pid}-`));

describe("import bounds through the route", () => {
  it("answers 413 to a gzipped Parquet body that unpacks past twice the body limit, leaving no spool behind", async () => {
    const body = gzipSync(Buffer.concat([Buffer.from("PAR1"), Buffer.alloc(3 * 1024 * 1024)])); // 3 KB → 3 MB
    const { status, body: answer } = await post("", body);
    expect(status).toBe(413);
    expect(answer.error.message).toBe(`The gzipped Parquet file unpacks to more than ${2 * 1024 * 1024} bytes (IMPORT_MAX_DECOMPRESSED_BYTES)`);
    expect(spoolFolders()).toEqual([]);
  });

  it("answers 400 to a 151-byte Parquet file of a million rows that would pass IMPORT_PARQUET_MEMORY_BYTES", async () => {
    const file = craftParquet({ pages: [{ kind: "dictionary", values: ["x".repeat(20)] }, { kind: "run", count: 1_000_000 }] });
    expect(file.length).toBeLessThan(200);
    const { status, body } = await post("", file);
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/would take about [\d.]+ MB of memory; the limit is 32.0 MB \(IMPORT_PARQUET_MEMORY_BYTES\)/);
    expect(spoolFolders()).toEqual([]);
  });

  it("lists an oasst1 chain's rankings past the prompt limit as invalid lines and imports the rest", async () => {
    const rows: string[] = [];
    const text = (tag: string) => `${tag} ${"x".repeat(998 - tag.length)}`;
    for (let i = 0; i < 480; i++) {
      rows.push(JSON.stringify({ message_id: `p${i}`, parent_id: i === 0 ? null : `a${i - 1}`, message_tree_id: "t", role: "prompter", text: text(`p${i}`) }));
      rows.push(JSON.stringify({ message_id: `a${i}`, parent_id: `p${i}`, message_tree_id: "t", role: "assistant", text: text(`a${i}`), rank: 0 }));
      rows.push(JSON.stringify({ message_id: `b${i}`, parent_id: `p${i}`, message_tree_id: "t", role: "assistant", text: text(`b${i}`), rank: 1 }));
    }
    const { project, status, body } = await post("?dataset=oasst1&onInvalid=skip", gzipSync(rows.join("\n")));
    expect(status).toBe(201);
    expect(body.validRecords + body.skippedCount).toBe(480);
    expect(body.skipped[0].message).toMatch(/characters of prompts|longer than 200000 characters/);
    const [longest] = await getDb()
      .select({ chars: sql<number>`max(length(${prompts.messages}::text))::int`, n: sql<number>`count(*)::int` })
      .from(prompts)
      .where(eq(prompts.projectId, project.id));
    expect(longest!.n).toBe(body.validRecords);
    expect(longest!.chars).toBeLessThan(MAX_TEXT + 480 * 40); // the text and its JSON
  });
});
