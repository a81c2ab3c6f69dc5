// Exported annotator ids are pseudonyms: stable within this installation (an HMAC of the
// user id under the installation's secret), but not the account id or email.
import { createHmac } from "node:crypto";

export function pseudonym(userId: string, secret: string): string {
  return `ann_${createHmac("sha256", secret).update(userId).digest("base64url").slice(0, 12)}`;
}
