// Model output rendered as markdown without ever interpreting HTML: react-markdown turns
// raw HTML into text and drops javascript: links, so a response containing <script>
// shows as the characters it is.
import Markdown from "react-markdown";
import remarkGfm from "remark-gfm";

export function SafeMarkdown({ text }: { text: string }) {
  return (
    <div className="markdown min-w-0 break-words text-sm leading-relaxed">
      <Markdown remarkPlugins={[remarkGfm]} skipHtml={false}>
        {text}
      </Markdown>
    </div>
  );
}
