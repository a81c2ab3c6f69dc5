import { describe, expect, it } from "vitest";
import { projectPatchSchema } from "@/lib/projects/settings";

describe("project PATCH bodies", () => {
  it("carry only the fields sent: a PATCH of one field resets no other to its default", () => {
    expect(Object.keys(projectPatchSchema.parse({ roundSettings: {} }))).toEqual(["roundSettings"]);
    expect(projectPatchSchema.parse({ roundThreshold: null })).toEqual({ roundThreshold: null });
    expect(projectPatchSchema.parse({})).toEqual({});
  });
});
