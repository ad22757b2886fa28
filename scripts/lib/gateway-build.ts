// The mail gateway as it runs in production: one ES module bundled by
// esbuild from mail-gateway/main.ts and lib/, with npm packages left as
// imports. Running the bundle with plain node instead of through tsx saves
// the gateway about 45 MB of resident memory (tsx keeps every transformed
// module and its source map), and the build refuses modules the gateway must
// never load (the web app's renderer and its HTML sanitizer's DOM).
import path from "node:path";
import { build } from "esbuild";
import { isOutOfDate } from "./next-build.ts";

/** Where the bundle goes, relative to the repository root. */
export const GATEWAY_BUNDLE = path.join(".build", "gateway.mjs");

// A young generation of 2 MB semi-spaces instead of V8's default 16 MB: the
// gateway streams large messages through many short-lived buffers, and the
// smaller nursery frees them sooner.
const GATEWAY_NODE_FLAGS = ["--max-semi-space-size=2"];

// glibc gives each thread that allocates its own malloc arena and rarely
// returns freed arena memory to the system. Buffers of large messages pass
// through libuv's file-system threads, so with the default arena count the
// gateway kept about 40 MB more resident after a burst of 25 MiB messages
// (bench:smtp: peak 239-251 MB, with two arenas 201 MB).
const GATEWAY_ENV = { MALLOC_ARENA_MAX: "2" };

const SOURCES = ["lib", "mail-gateway", "package-lock.json", "tsconfig.json"];

/** Packages whose presence in the gateway would cost tens of MB for nothing. */
const FORBIDDEN_PACKAGES = ["jsdom", "dompurify", "next", "react", "react-dom", "@tiptap"];

/** How to run the built gateway: node's arguments and the environment (`env` plus ours). */
export function gatewayProcess(
  root: string,
  env: NodeJS.ProcessEnv = process.env,
): { args: string[]; env: NodeJS.ProcessEnv } {
  return {
    args: [...GATEWAY_NODE_FLAGS, path.join(root, GATEWAY_BUNDLE)],
    env: { ...env, ...GATEWAY_ENV },
  };
}

/**
 * Bundles the gateway (or another entry, for tests) into `outfile` and
 * returns the npm packages it imports.
 * Throws when it would import one of FORBIDDEN_PACKAGES.
 */
export async function buildGateway(
  root: string,
  outfile: string,
  entry = path.join(root, "mail-gateway", "main.ts"),
): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    metafile: true,
    logLevel: "error",
  });
  const packages = new Set<string>();
  for (const input of Object.values(result.metafile.inputs)) {
    for (const imported of input.imports) {
      // Relative "external" imports are type-only ones esbuild drops.
      if (!imported.external || /^(node:|\.)/.test(imported.path)) continue;
      const parts = imported.path.split("/");
      packages.add(imported.path.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!);
    }
  }
  const forbidden = FORBIDDEN_PACKAGES.filter((name) =>
    [...packages].some((p) => p === name || p.startsWith(`${name}/`)),
  );
  if (forbidden.length) {
    throw new Error(
      `the gateway must not import ${forbidden.join(", ")} (see ${path.relative(root, outfile)}'s imports)`,
    );
  }
  return [...packages].sort();
}

/** Builds the gateway bundle when it is missing or older than its sources. */
export async function ensureGatewayBuild(root: string, log: (line: string) => void): Promise<void> {
  if (!(await isOutOfDate(root, GATEWAY_BUNDLE, SOURCES))) return;
  const started = Date.now();
  await buildGateway(root, path.join(root, GATEWAY_BUNDLE));
  log(`gateway built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
