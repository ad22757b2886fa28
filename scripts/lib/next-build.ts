// Builds the Next.js app when the build is missing or older than its sources,
// so `npm start` and `npm test` work on a fresh clone without a separate step.
import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";

const SOURCES = ["app", "lib", "public", "next.config.ts", "package-lock.json", "tsconfig.json"];

async function newestMtime(target: string): Promise<number> {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of await readdir(target, { withFileTypes: true })) {
    if (entry.name === "generated" || entry.name === "node_modules") continue;
    newest = Math.max(newest, await newestMtime(path.join(target, entry.name)));
  }
  return newest;
}

/** Whether `built` (a file under root) is missing or older than any of `sources`. */
export async function isOutOfDate(
  root: string,
  built: string,
  sources: string[],
): Promise<boolean> {
  const builtPath = path.join(root, built);
  if (!existsSync(builtPath)) return true;
  const builtAt = statSync(builtPath).mtimeMs;
  for (const source of sources) {
    if ((await newestMtime(path.join(root, source))) > builtAt) return true;
  }
  return false;
}

export async function isBuildStale(root: string): Promise<boolean> {
  return isOutOfDate(root, path.join(".next", "BUILD_ID"), SOURCES);
}

export async function ensureNextBuild(root: string, log: (line: string) => void): Promise<void> {
  if (await isBuildStale(root)) await buildNext(root, log);
}

export async function buildNext(root: string, log: (line: string) => void): Promise<void> {
  log("building the web app (next build)…");
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"],
      {
        cwd: root,
        stdio: ["ignore", "inherit", "inherit"],
        env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
      },
    );
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`next build exited with ${code}`)),
    );
  });
  log(`web app built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
