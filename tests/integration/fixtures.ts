// Builders for annotation tests: a project with members and imported data.
import { createProject, addMembers } from "@/lib/projects/projects";
import { importStream, type ImportFormat } from "@/lib/import/import-stream";
import type { Project, User } from "@/lib/db/schema";
import { createUser } from "@/lib/users/users";
import { uniqueEmail } from "./helpers";

export function bodyOf(text: string): ReadableStream<Uint8Array> {
  return new Blob([text]).stream();
}

export function ndjson(records: unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join("\n") + "\n";
}

export async function importText(project: Project, text: string, format: ImportFormat = "ndjson", maxBytes = 64 * 1024 * 1024) {
  return importStream(project, bodyOf(text), { format, maxBytes });
}

export async function anAdmin(): Promise<User> {
  return (await createUser({ email: uniqueEmail("admin"), role: "admin", password: "password-long-1" })).user;
}

export async function annotators(project: Project, n: number): Promise<User[]> {
  const out: User[] = [];
  for (let i = 0; i < n; i++) out.push((await createUser({ email: uniqueEmail(`ann${i}`), role: "annotator", password: "password-long-1" })).user);
  await addMembers(project.id, out.map((u) => u.email));
  return out;
}

export async function aProject(settings: Record<string, unknown> = {}): Promise<Project> {
  const admin = await anAdmin();
  return createProject({ name: `p-${Math.random().toString(36).slice(2, 7)}`, ...settings }, admin.id);
}

/** n prompts with `perPrompt` responses from distinct sources, clearly different texts. */
export function responseRecords(n: number, perPrompt = 2, tag = "") {
  return Array.from({ length: n }, (_, i) => ({
    prompt: `Question ${tag}${i}: explain topic ${i}`,
    responses: Array.from({ length: perPrompt }, (_, j) => ({
      text: `Answer ${j} to ${tag}${i}: ${"alpha beta gamma delta epsilon zeta eta theta".split(" ").slice(j).join(" ")} variant ${j * 7 + i}`,
      source: `model-${j}`,
    })),
  }));
}
