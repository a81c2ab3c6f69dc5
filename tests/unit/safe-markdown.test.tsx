import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { SafeMarkdown } from "@/app/components/safe-markdown";

describe("SafeMarkdown", () => {
  it("shows HTML in a response as text, never as markup", () => {
    const html = renderToStaticMarkup(<SafeMarkdown text={'Hi <script>alert(1)</script> <img src=x onerror="alert(2)">'} />);
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });
  it("renders markdown structure and code blocks, and drops javascript: links", () => {
    const html = renderToStaticMarkup(<SafeMarkdown text={"**bold**\n\n```js\nconst a = 1;\n```\n\n[x](javascript:alert(1))"} />);
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toMatch(/<pre><code class="language-js">const a = 1;/);
    expect(html).not.toContain("javascript:");
  });
});
