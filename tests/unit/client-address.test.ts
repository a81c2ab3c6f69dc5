import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { clientAddress, limitKey, parseTrustedProxies, PEER_ADDRESS_HEADER, UNKNOWN_ADDRESS } from "@/lib/auth/client-address";

const none = parseTrustedProxies(undefined);
const proxies = parseTrustedProxies("127.0.0.1, 10.0.0.0/8, ::1");

describe("client address", () => {
  it("is the socket's address; client-sent forwarding headers are ignored without trusted proxies", () => {
    expect(clientAddress({ [PEER_ADDRESS_HEADER]: "198.51.100.7", "x-forwarded-for": "1.2.3.4", "x-real-ip": "5.6.7.8" }, none)).toBe("198.51.100.7");
    expect(clientAddress(new Headers({ [PEER_ADDRESS_HEADER]: "::ffff:198.51.100.7" }), none)).toBe("198.51.100.7");
    expect(clientAddress({ "x-forwarded-for": "1.2.3.4" }, none)).toBe(UNKNOWN_ADDRESS);
    expect(clientAddress({ [PEER_ADDRESS_HEADER]: "not an address" }, none)).toBe(UNKNOWN_ADDRESS);
  });

  it("believes X-Forwarded-For only as far as trusted proxies report it, from the right", () => {
    const via = (peer: string, xff: string) => clientAddress({ [PEER_ADDRESS_HEADER]: peer, "x-forwarded-for": xff }, proxies);
    expect(via("127.0.0.1", "203.0.113.9")).toBe("203.0.113.9");
    // the client prepends a fake hop; the proxy appended the real one
    expect(via("127.0.0.1", "1.1.1.1, 203.0.113.9")).toBe("203.0.113.9");
    // a chain of trusted proxies
    expect(via("127.0.0.1", "1.1.1.1, 203.0.113.9, 10.1.2.3")).toBe("203.0.113.9");
    // a peer that is not a trusted proxy: its header is the client's own invention
    expect(via("198.51.100.7", "203.0.113.9")).toBe("198.51.100.7");
    // garbage where an address should be: stop at the last address a trusted proxy vouched for
    expect(via("127.0.0.1", "203.0.113.9, garbage")).toBe("127.0.0.1");
    expect(via("::1", "")).toBe("::1");
  });

  it("is counted by the sign-in limit as itself for IPv4 and as its /64 network for IPv6", () => {
    expect(limitKey("198.51.100.7")).toBe("198.51.100.7");
    expect(limitKey(UNKNOWN_ADDRESS)).toBe(UNKNOWN_ADDRESS);
    expect(limitKey("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(limitKey("2001:0db8:0001:0002:dead:beef:0:1")).toBe("2001:db8:1:2::/64");
    expect(limitKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(limitKey("::1")).toBe("0:0:0:0::/64");
    expect(limitKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(limitKey("2001:db8:1:2:3:4:192.0.2.1")).toBe("2001:db8:1:2::/64");
    expect(limitKey("64:ff9b::192.0.2.1")).toBe("64:ff9b:0:0::/64");
  });

  it("rejects a TRUSTED_PROXIES entry that is not an address or range", () => {
    expect(() => parseTrustedProxies("10.0.0.0/33")).toThrow();
    expect(() => parseTrustedProxies("proxy.example")).toThrow();
    expect(() => parseTrustedProxies("10.0.0.0/8/1")).toThrow();
    expect(parseTrustedProxies("fd00::/8").check("fd12::1", "ipv6")).toBe(true);
  });

  it("is stamped by the web process's preload from the socket, replacing what a client sent", async () => {
    const preload = path.resolve(import.meta.dirname, "../../scripts/peer-address.cjs");
    const script = `
      const http = require("node:http");
      const server = http.createServer((req, res) => res.end(JSON.stringify({ h: req.headers[${JSON.stringify(PEER_ADDRESS_HEADER)}], raw: req.rawHeaders })));
      server.listen(0, "127.0.0.1", async () => {
        const res = await fetch("http://127.0.0.1:" + server.address().port, { headers: { ${JSON.stringify(PEER_ADDRESS_HEADER)}: "6.6.6.6" } });
        console.log(await res.text());
        server.close();
      });`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--require", preload, "-e", script], { timeout: 20_000 });
    const { h, raw } = JSON.parse(stdout) as { h: string; raw: string[] };
    expect(h).toBe("127.0.0.1");
    expect(raw).not.toContain("6.6.6.6");
  });
});

// deploy/compose.yaml and deploy/nginx.conf together: before, the web processes trusted the
// whole compose network (its gateway, through which published ports and the host arrive,
// included) and nginx appended to the client's X-Forwarded-For, so a client connecting via
// the gateway chose the address the sign-in limiter counted.
describe("the compose deployment's forwarding", () => {
  const deploy = path.resolve(import.meta.dirname, "..", "..", "deploy");
  const compose = readFileSync(path.join(deploy, "compose.yaml"), "utf8");
  const nginx = readFileSync(path.join(deploy, "nginx.conf"), "utf8").replace(/#.*$/gm, "");
  const trusted = /^\s*TRUSTED_PROXIES:\s*(\S+)\s*$/m.exec(compose)?.[1];
  const balancer = /balancer:[\s\S]*?ipv4_address:\s*([\d.]+)/.exec(compose)?.[1];

  it("trusts the balancer's fixed address alone, and nginx writes the connection's address", () => {
    expect(balancer).toMatch(/^172\.28\.0\.\d+$/);
    expect(trusted).toBe(balancer);
    expect(nginx).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/);
    expect(nginx).not.toMatch(/\$proxy_add_x_forwarded_for/);
    // dynamic addresses come from a range that leaves the balancer's out
    expect(compose).toMatch(/ip_range: 172\.28\.1\.0\/24/);
  });

  it("so the limiter counts the address nginx saw, whatever the client wrote, and anyone else's connection as itself", () => {
    const list = parseTrustedProxies(trusted);
    // nginx replaced the client's "6.6.6.6" with the connection's address
    expect(clientAddress({ [PEER_ADDRESS_HEADER]: balancer, "x-forwarded-for": "203.0.113.9" }, list)).toBe("203.0.113.9");
    // the gateway (published ports, the host) and other containers reaching a web process directly
    expect(clientAddress({ [PEER_ADDRESS_HEADER]: "172.28.0.1", "x-forwarded-for": "6.6.6.6" }, list)).toBe("172.28.0.1");
    expect(clientAddress({ [PEER_ADDRESS_HEADER]: "172.28.1.5", "x-forwarded-for": "6.6.6.6" }, list)).toBe("172.28.1.5");
  });
});
