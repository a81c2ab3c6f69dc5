// Model output rendered as markdown without ever interpreting HTML: react-markdown turns
// raw HTML into text and drops javascript: links, so a response containing <script>
// shows as the characters it is. Images are shown only when they are inline data (a
// `data:image/...` URL): any other image would make every viewer's browser request it,
// with their cookies when it points at this site (`![](/api/v1/projects/…/tasks/next)`
// leased a task for each annotator who saw it), or tell another site who looked. Such an
// image shows as its alt text instead.
import type { ComponentProps } from "react";
import Markdown, { defaultUrlTransform } from "react-markdown";
import remarkGfm from "remark-gfm";

const INLINE_IMAGE = /^data:image\/(png|gif|jpeg|webp|avif);base64,[a-z0-9+/=\s]*$/i;

/** URLs as react-markdown's default allows them, except an image's, which must be inline data. */
export function safeUrl(url: string, key: string): string | undefined {
  if (key === "src") return INLINE_IMAGE.test(url) ? url : undefined;
  return defaultUrlTransform(url);
}

function Image({ src, alt }: ComponentProps<"img">) {
  if (typeof src === "string" && src) return <img src={src} alt={alt ?? ""} className="inline max-w-full" />;
  return alt ? <span className="text-slate-500">[image: {alt}]</span> : null;
}

export function SafeMarkdown({ text }: { text: string }) {
  return (
    <div className="markdown min-w-0 break-words text-sm leading-relaxed">
      <Markdown remarkPlugins={[remarkGfm]} skipHtml={false} urlTransform={safeUrl} components={{ img: Image }}>
        {text}
      </Markdown>
    </div>
  );
}
