// A second process for the cache-coherence tests (cache-coherence.test.ts): it holds its
// own access caches and LISTEN connection, as another web process on the same database
// would, and answers lookups asked on stdin, one JSON object a line, on stdout.
import { createInterface } from "node:readline";
import { ApiError } from "@/lib/api/errors";
import { userForApiToken } from "@/lib/auth/api-tokens";
import { isListeningForAccessChanges } from "@/lib/cache/access-cache";
import { closeDb } from "@/lib/db/client";
import { projectForUser } from "@/lib/projects/projects";
import { getUserById } from "@/lib/users/users";

type Ask = { id: number; op: "listening" } | { id: number; op: "token"; token: string } | { id: number; op: "project"; projectId: string; userId: string };

async function answer(ask: Ask): Promise<unknown> {
  switch (ask.op) {
    case "listening":
      return isListeningForAccessChanges();
    case "token":
      return (await userForApiToken(ask.token))?.id ?? null;
    case "project": {
      const user = await getUserById(ask.userId);
      if (!user) return { error: "no user" };
      try {
        const p = await projectForUser(ask.projectId, user);
        return { requireRationale: p.requireRationale, memberGroup: p.memberGroup };
      } catch (err) {
        if (err instanceof ApiError) return { error: err.code };
        throw err;
      }
    }
  }
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const ask = JSON.parse(line) as Ask;
  answer(ask).then(
    (value) => process.stdout.write(`${JSON.stringify({ id: ask.id, value })}\n`),
    (err) => process.stdout.write(`${JSON.stringify({ id: ask.id, error: String(err) })}\n`),
  );
});
lines.on("close", () => void closeDb().then(() => process.exit(0)));
console.log(JSON.stringify({ ready: true }));
