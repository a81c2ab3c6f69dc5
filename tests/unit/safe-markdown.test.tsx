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
  it("shows an image only as inline data; any other image, on this site or another, as its alt text", () => {
    const pixel = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
    const html = renderToStaticMarkup(
      <SafeMarkdown
        text={[
          "![lease](/api/v1/projects/3f0c1e1e-0000-4000-8000-000000000000/tasks/next)",
          "![export](https://arbiter.example/api/v1/projects/x/export?format=raw)",
          "![tracker](http://evil.example/pixel.png)",
          "![protocol-relative](//evil.example/pixel.png)",
          "![svg](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
          `![dot](${pixel})`,
        ].join("\n\n")}
      />,
    );
    expect(html.match(/<img /g)).toHaveLength(1);
    expect(html).toContain(`<img src="${pixel}" alt="dot"`);
    for (const alt of ["lease", "export", "tracker", "protocol-relative", "svg"]) expect(html).toContain(`[image: ${alt}]`);
    expect(html).not.toContain("/api/v1/");
    expect(html).not.toContain("evil.example");
  });
});
