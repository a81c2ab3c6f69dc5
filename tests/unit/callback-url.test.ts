import { describe, expect, it } from "vitest";
import { callbackPath } from "@/lib/auth/callback-url";

const SITE = "https://arbiter.example";

describe("callbackUrl after sign-in", () => {
  it("keeps paths and absolute URLs on the site", () => {
    expect(callbackPath("/admin/projects/1?tab=rounds#top", SITE)).toBe("/admin/projects/1?tab=rounds#top");
    expect(callbackPath(`${SITE}/annotate`, SITE)).toBe("/annotate");
    expect(callbackPath("/", SITE)).toBe("/");
  });

  it("sends everything that would leave the site to /", () => {
    const attempts = [
      "/\\evil.com",
      "/%5Cevil.example",
      "/%255Cevil.example",
      "/%09/evil.com",
      "/\t/evil.com",
      "/%0a/evil.com",
      "//evil",
      "///evil.com",
      "https://evil",
      "http://arbiter.example/admin", // another scheme is another origin
      "https://arbiter.example.evil.com/",
      "https://user@arbiter.example/",
      "javascript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      `${SITE}//evil.com`,
      "/%E0%A4%A",
      "",
      undefined,
      ["/admin"],
    ];
    for (const raw of attempts) expect(callbackPath(raw, SITE), String(raw)).toBe("/");
  });
});

describe("next-auth's redirect after sign-in", () => {
  it("goes through the same check", async () => {
    const { authOptions } = await import("@/lib/auth/options");
    const redirect = authOptions().callbacks!.redirect!;
    expect(await redirect({ url: "/\\evil.com", baseUrl: SITE })).toBe(`${SITE}/`);
    expect(await redirect({ url: "https://evil", baseUrl: SITE })).toBe(`${SITE}/`);
    expect(await redirect({ url: `${SITE}/annotate/x`, baseUrl: SITE })).toBe(`${SITE}/annotate/x`);
  });
});
