// The client address of a request as the sign-in limit keys it: the socket's, or as the
// TRUSTED_PROXIES setting vouches (client-address.ts). One place reads the setting, so a
// sign-in, a password change and an admin's re-entered password count alike.
import { env } from "@/lib/config/env";
import { clientAddress, parseTrustedProxies } from "./client-address";

let trusted: ReturnType<typeof parseTrustedProxies> | undefined;

export function requestAddress(headers: Headers | Record<string, unknown> | undefined): string {
  trusted ??= parseTrustedProxies(env().TRUSTED_PROXIES);
  return clientAddress(headers, trusted);
}
