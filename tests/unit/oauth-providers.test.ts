import { describe, expect, it } from "vitest";
import { githubVerifiedPrimaryEmail, oidcEmailVerified } from "@/lib/auth/oauth-providers";

describe("OAuth providers' email verification", () => {
  it("takes GitHub's primary address only when GitHub verified it", () => {
    expect(
      githubVerifiedPrimaryEmail([
        { email: "other@example.com", primary: false, verified: true },
        { email: "me@example.com", primary: true, verified: true, visibility: "private" },
      ]),
    ).toBe("me@example.com");
    expect(githubVerifiedPrimaryEmail([{ email: "me@example.com", primary: true, verified: false }, { email: "x@example.com", primary: false, verified: true }])).toBeNull();
    expect(githubVerifiedPrimaryEmail({ message: "Bad credentials" })).toBeNull();
  });

  it("reads OIDC's email_verified claim, true or \"true\" only", () => {
    expect(oidcEmailVerified(true)).toBe(true);
    expect(oidcEmailVerified("true")).toBe(true);
    for (const v of [false, "false", undefined, null, 1, "yes"]) expect(oidcEmailVerified(v)).toBe(false);
  });
});
