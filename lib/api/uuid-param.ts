import { z } from "zod";
import { ApiError } from "./errors";

const uuid = z.uuid();

/** Route ids are uuids; anything else is a 404, not a database error. */
export function uuidParam(value: string | string[] | undefined, what: string): string {
  if (typeof value === "string" && uuid.safeParse(value).success) return value;
  throw new ApiError("not_found", `No such ${what}`);
}

/** For page params and server actions, whose arguments arrive from the client as they are: a malformed id is "no such thing", not a database error. */
export function isUuid(value: unknown): value is string {
  return typeof value === "string" && uuid.safeParse(value).success;
}
