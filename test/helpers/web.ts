// Runs the production web app (web/server.ts over the `next build` output,
// which scripts/test.ts prepares) against the test file's database, set up
// as a newcomer's is (.env.example): listening on every address, with no
// PUBLIC_URL or NEXTAUTH_URL, so the app must know its origin by itself.
import { spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { after } from "node:test";
import { getFreePort } from "./net.ts";

const root = path.resolve(import.meta.dirname, "../..");

export type WebServer = { url: string; port: number; output: string[] };

export async function startWebServer(env: Record<string, string> = {}): Promise<WebServer> {
  const port = await getFreePort();
  const output: string[] = [];
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "web/server.ts")], {
    cwd: root,
    env: {
      ...process.env,
      // Set by the test runner for its children; the server is not a test file.
      NODE_TEST_CONTEXT: "",
      WEB_PORT: String(port),
      WEB_HOST: "0.0.0.0",
      NEXTAUTH_SECRET: "test-secret-test-secret-test-secret",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`web server did not start:\n${output.join("\n")}`)),
      60_000,
    );
    for (const stream of [child.stdout!, child.stderr!]) {
      readline.createInterface({ input: stream }).on("line", (line) => {
        output.push(line);
        if (process.env.TEST_VERBOSE) console.log(`[web] ${line}`);
        if (line.includes("listening on")) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`web server exited (${code}):\n${output.join("\n")}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, port, output };
}
