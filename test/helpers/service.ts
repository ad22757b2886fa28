// The whole service run exactly as `npm start` runs it (scripts/start.ts:
// embedded Postgres, migrations, the web app and the gateway as children),
// and the environment a newcomer has: .env.example as written, with free
// ports and a fresh data folder.
import { spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import readline from "node:readline";
import { after } from "node:test";
import { parseEnv } from "node:util";
import { getFreePort } from "./net.ts";

const root = path.resolve(import.meta.dirname, "../..");

// When the file's tests end: every service stopped, then its data removed.
const running: (() => Promise<unknown>)[] = [];
const dataDirs: string[] = [];
let cleanupScheduled = false;
function scheduleCleanup() {
  if (cleanupScheduled) return;
  cleanupScheduled = true;
  after(async () => {
    await Promise.all(running.map((stop) => stop()));
    await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });
}

export type Service = {
  /** The Webmail URL the start banner printed. */
  url: string;
  output: string[];
  /** Seconds from spawn to the banner. */
  seconds: number;
  child: ChildProcess;
  /** Ctrl-C, as a person stops it; resolves with the exit code. */
  stop: () => Promise<number | null>;
};

/** Runs scripts/start.ts with `env` (nothing added) until its banner says it is running. */
export async function startService(env: NodeJS.ProcessEnv): Promise<Service> {
  const begin = Date.now();
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts/start.ts")], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  let url = "";
  let banner = false;
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
    return exited;
  };
  running.push(stop);
  scheduleCleanup();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not ready in 180 s:\n${output.join("\n")}`)),
      180_000,
    );
    for (const stream of [child.stdout!, child.stderr!]) {
      readline.createInterface({ input: stream }).on("line", (line) => {
        output.push(line);
        if (process.env.TEST_VERBOSE) console.log(`[start] ${line}`);
        if (line.includes("Mail is running")) banner = true;
        // The banner's own URL line, "  Webmail       http://localhost:3000".
        const webmail = banner ? /^\s*Webmail\s+(\S+)/.exec(line) : null;
        if (webmail) url = webmail[1]!;
        // Its last line: the whole banner has been read.
        if (banner && url && line.includes("Ctrl-C stops everything")) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}):\n${output.join("\n")}`));
    });
  });
  return { url, output, seconds: (Date.now() - begin) / 1000, child, stop };
}

/** A data folder for one start, removed when the file's tests end. */
export async function freshDataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "mail-start-"));
  // The embedded Postgres runs as the postgres user when we are root.
  await chmod(dir, 0o755);
  dataDirs.push(dir);
  scheduleCleanup();
  return dir;
}

/**
 * The environment of someone who copied nothing and set nothing: this
 * process's own (PATH, HOME…) without any variable .env.example names,
 * commented out or not, nor NEXTAUTH_URL/AUTH_TRUST_HOST; then the values
 * .env.example sets, as written, except that every port it names (set or
 * commented) becomes a free one and DATA_DIR a fresh folder.
 */
export async function newcomerEnv(): Promise<{
  env: NodeJS.ProcessEnv;
  ports: Record<string, number>;
}> {
  const example = await readFile(path.join(root, ".env.example"), "utf8");
  const named = [...example.matchAll(/^\s*#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [...named, "NEXTAUTH_URL", "AUTH_TRUST_HOST", "NODE_TEST_CONTEXT"]) {
    delete env[name];
  }
  Object.assign(env, parseEnv(example));
  const ports: Record<string, number> = {};
  for (const name of new Set(named.filter((n) => n.endsWith("_PORT")))) {
    ports[name] = await getFreePort();
    env[name] = String(ports[name]);
  }
  env.DATA_DIR = await freshDataDir();
  return { env, ports };
}
