// The address a request came from, for the sign-in limiter. Next.js gives handlers no
// socket, and the X-Forwarded-For it fills in keeps whatever the client sent, so the web
// process stamps each request with its socket's address itself (scripts/peer-address.cjs,
// loaded by `npm start`) under a header it first removes from what the client sent.
// X-Forwarded-For is believed only as far as TRUSTED_PROXIES vouch for it: from the right,
// each hop a trusted proxy reports, up to the first address that is not a trusted proxy.
import { BlockList, isIP } from "node:net";

/** Set by scripts/peer-address.cjs; the same name is written there. */
export const PEER_ADDRESS_HEADER = "x-arbiter-peer-address";

/** Used when the web process was started without the peer-address preload (`next start` by hand). */
export const UNKNOWN_ADDRESS = "unknown";

const MAX_HOPS = 32;

type HeaderSource = Headers | Record<string, unknown> | undefined;

function header(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  const value = headers instanceof Headers ? headers.get(name) : headers[name];
  if (Array.isArray(value)) return typeof value[0] === "string" ? value[0] : undefined;
  return typeof value === "string" ? value : undefined;
}

/** An IP address as the limiter stores it: IPv4-mapped IPv6 (::ffff:a.b.c.d) as plain IPv4. */
function normalise(address: string): string | undefined {
  const bare = address.trim().replace(/^\[(.*)\]$/, "$1");
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1];
  const candidate = v4 ?? bare.toLowerCase();
  return isIP(candidate) ? candidate : undefined;
}

/**
 * TRUSTED_PROXIES: comma-separated addresses and CIDR ranges of the reverse proxies in
 * front of the web app (e.g. `127.0.0.1, 10.0.0.0/8, ::1`). Empty: none.
 */
export function parseTrustedProxies(setting: string | undefined): BlockList {
  const list = new BlockList();
  for (const item of (setting ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const [base, bits, extra] = item.split("/");
    const address = base ? normalise(base) : undefined;
    if (!address || extra !== undefined) throw new Error(`TRUSTED_PROXIES: "${item}" is not an address or CIDR range`);
    const type = isIP(address) === 4 ? "ipv4" : "ipv6";
    if (bits === undefined) list.addAddress(address, type);
    else {
      const prefix = Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (type === "ipv4" ? 32 : 128)) throw new Error(`TRUSTED_PROXIES: bad prefix in "${item}"`);
      list.addSubnet(address, prefix, type);
    }
  }
  return list;
}

function isTrusted(list: BlockList, address: string): boolean {
  return list.check(address, isIP(address) === 4 ? "ipv4" : "ipv6");
}

/** The client's address: the socket's, or as trusted proxies report it; UNKNOWN_ADDRESS without the stamp. */
export function clientAddress(headers: HeaderSource, trusted: BlockList): string {
  const peer = normalise(header(headers, PEER_ADDRESS_HEADER) ?? "");
  if (!peer) return UNKNOWN_ADDRESS;
  let address = peer;
  if (!isTrusted(trusted, address)) return address;
  const hops = (header(headers, "x-forwarded-for") ?? "").split(",").slice(-MAX_HOPS).reverse();
  for (const hop of hops) {
    const next = normalise(hop);
    if (!next) break; // not an address: written by the client, so the hop before is as far as we know
    address = next;
    if (!isTrusted(trusted, address)) break;
  }
  return address;
}
