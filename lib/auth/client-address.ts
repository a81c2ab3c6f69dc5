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

/** The 8 groups of an IPv6 address, as numbers (node's isIP has already accepted it). */
function ipv6Groups(address: string): number[] {
  let text = address.replace(/%.*$/, ""); // a zone id names an interface, not a host
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const parse = (part: string) => (part ? part.split(":").map((g) => parseInt(g, 16)) : []);
  const front = parse(head);
  const back = tail === undefined ? [] : parse(tail);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/**
 * What the sign-in limit counts an address as: an IPv4 address itself, an IPv6 address
 * its /64 network (`2001:db8:1:2::/64`). One IPv6 subscriber is routinely given a whole
 * /64, so counting single addresses would give one attacker 2^64 fresh limits.
 */
export function limitKey(address: string): string {
  if (isIP(address) !== 6) return address;
  return `${ipv6Groups(address).slice(0, 4).map((g) => g.toString(16)).join(":")}::/64`;
}
