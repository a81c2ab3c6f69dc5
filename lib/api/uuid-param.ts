import { z } from "zod";
import { ApiError } from "./errors";

/** Route ids are uuids; anything else is a 404, not a database error. */
export function uuidParam(value: string | string[] | undefined, what: string): string {
  if (typeof value === "string" && z.uuid().safeParse(value).success) return value;
  throw new ApiError("not_found", `No such ${what}`);
}
