// Server actions receive FormData, not a JSON body, so json-body.ts's NUL check does not
// see them: the first field whose name or text holds a NUL, as the message for the form.
import { nulMessage } from "./nul-character";

export function formNulError(form: FormData): string | undefined {
  for (const [name, value] of form.entries()) {
    if (name.includes("\u0000") || (typeof value === "string" && value.includes("\u0000"))) return nulMessage(name.replaceAll("\u0000", "␀"), "a field");
  }
  return undefined;
}
