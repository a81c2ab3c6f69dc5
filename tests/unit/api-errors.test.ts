import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ApiError, toErrorResponse } from "@/lib/api/errors";

describe("API error shape", () => {
  it("maps typed errors to their status and the documented body", async () => {
    const res = toErrorResponse(new ApiError("forbidden", "no"));
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { code: "forbidden", message: "no" } });
  });
  it("turns validation failures into 400 with every field named", async () => {
    const parsed = z.object({ email: z.email(), n: z.number() }).safeParse({ email: "x", n: "1" });
    const res = toErrorResponse(parsed.error);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
    expect(body.error.code).toBe("invalid_input");
    expect(body.error.details.map((d) => d.path).sort()).toEqual(["email", "n"]);
  });
  it("hides unexpected errors behind a 500", async () => {
    const original = console.error;
    console.error = () => {};
    const res = toErrorResponse(new Error("secret stack detail"));
    console.error = original;
    expect(res.status).toBe(500);
    expect(JSON.stringify(await res.json())).not.toContain("secret");
  });
});
