import type { Message } from "@/lib/db/schema";
import { SafeMarkdown } from "@/app/components/safe-markdown";

const ROLE_LABEL = { system: "System", user: "User", assistant: "Assistant" } as const;

export function Conversation({ messages }: { messages: Message[] }) {
  return (
    <section aria-label="Prompt" className="space-y-2">
      {messages.map((m, i) => (
        <div
          key={i}
          className={`min-w-0 rounded-lg border px-3 py-2 ${m.role === "user" ? "border-sky-200 bg-sky-50" : m.role === "system" ? "border-slate-200 bg-slate-100" : "border-slate-200 bg-white"}`}
        >
          <div className="text-xs font-medium uppercase tracking-wide text-slate-500">{ROLE_LABEL[m.role]}</div>
          <SafeMarkdown text={m.content} />
        </div>
      ))}
    </section>
  );
}
