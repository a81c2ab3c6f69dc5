// Where the web app reaches a trainer's server, written to trainer_workers.url. A server
// bound to one address is reached there; one bound to every interface (0.0.0.0, ::) is
// advertised at this machine's first network address, since 127.0.0.1 would reach it only
// from this machine. TRAINER_PUBLIC_URL overrides both (a proxy, a DNS name, NAT).
import os from "node:os";

type Interfaces = NodeJS.Dict<os.NetworkInterfaceInfo[]>;

const WILDCARD = new Set(["0.0.0.0", "::", "[::]", ""]);

function hostPart(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}

/** This machine's first non-loopback address, IPv4 before IPv6; undefined when it has none. */
export function networkAddress(interfaces: Interfaces = os.networkInterfaces()): string | undefined {
  const all = Object.values(interfaces).flatMap((list) => list ?? []).filter((i) => !i.internal);
  const pick = all.find((i) => i.family === "IPv4") ?? all.find((i) => i.family === "IPv6" && !i.address.startsWith("fe80:"));
  return pick?.address;
}

export function advertisedUrl(host: string, port: number, opts: { publicUrl?: string; interfaces?: Interfaces } = {}): string {
  if (opts.publicUrl) return opts.publicUrl.replace(/\/$/, "");
  const address = WILDCARD.has(host) ? (networkAddress(opts.interfaces) ?? "127.0.0.1") : host;
  return `http://${hostPart(address.replace(/^\[(.*)\]$/, "$1"))}:${port}`;
}
