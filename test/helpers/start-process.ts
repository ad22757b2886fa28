// `npm start` (scripts/start.ts, the production start path) as the tests run
// it: on a fresh data folder, every port free, its output collected. Two
// environments: startEnvironment (loopback only, closed DNS, for the
// supervision tests) and newcomerEnv (.env.example as a newcomer has it).
// The supervisor logs "[start] <name> started (pid N)" for each run of a
// child, which is how a test finds the process to kill.
import { spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import readline from "node:readline";
import { after } from "node:test";
import { parseEnv } from "node:util";
import { getFreePort } from "./net.ts";
import { waitUntil } from "./wait.ts";

const root = path.resolve(import.meta.dirname, "../..");

export type StartPorts = {
  web: number;
  smtp: number;
  submission: number;
  postgres: number;
  gatewayHttp: number;
};

/** The environment of a fresh `npm start`: a new data folder (removed after the file's tests) and free ports. */
export async function startEnvironment(
  extra: Record<string, string> = {},
): Promise<{ env: NodeJS.ProcessEnv; ports: StartPorts; dataDir: string }> {
  const dataDir = await freshDataDir();
  const [web, smtp, submission, postgres, gatewayHttp, deadDns] = await Promise.all([
    getFreePort(),
    getFreePort(),
    getFreePort(),
    getFreePort(),
    getFreePort(),
    getFreePort(),
  ]);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: String(postgres),
    WEB_PORT: String(web),
    WEB_HOST: "127.0.0.1",
    SMTP_PORT: String(smtp),
    SUBMISSION_PORT: String(submission),
    GATEWAY_HTTP_PORT: String(gatewayHttp),
    POP3_PORT: "0",
    POP3S_PORT: "0",
    IMAP_PORT: "0",
    IMAPS_PORT: "0",
    LISTEN_HOST: "127.0.0.1",
    // A closed local port as the DNS server: lookups fail at once, none leaves the machine.
    DNS_SERVERS: `127.0.0.1:${deadDns}`,
    ...extra,
  };
  delete env.DATABASE_URL;
  delete env.NEXTAUTH_SECRET;
  // Set by the test runner for its own children; a Node process that inherits
  // it behaves as a test file, not as the service.
  delete env.NODE_TEST_CONTEXT;
  return { env, ports: { web, smtp, submission, postgres, gatewayHttp }, dataDir };
}

/** A data folder for one start, removed when the file's tests end. */
export async function freshDataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "mail-start-"));
  // The embedded Postgres runs as the postgres user when we are root.
  await chmod(dir, 0o755);
  after(() => rm(dir, { recursive: true, force: true }));
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

export type StartedService = {
  /** The Webmail URL the start banner printed ("" until it has). */
  url: string;
  child: ChildProcess;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the whole banner is printed; rejects when npm start exits first. */
  running: Promise<void>;
  /** Process ids of a child's runs, oldest first, from the supervisor's log. */
  pids(name: string): number[];
  /** Ctrl-C; resolves with the exit code. */
  stop(): Promise<number | null>;
};

/** Runs npm start; killed when the file's tests end if it still runs. */
export function launchService(env: NodeJS.ProcessEnv): StartedService {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts/start.ts")], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  let url = "";
  let banner = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  // Ctrl-C first, so the supervisor stops its children and Postgres (a
  // SIGKILL would leave them running); SIGKILL only if that hangs.
  after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGINT");
    const force = setTimeout(() => child.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(force);
  });
  const running = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not ready in 180 s:\n${output.join("\n")}`)),
      180_000,
    );
    for (const stream of [child.stdout!, child.stderr!]) {
      readline.createInterface({ input: stream }).on("line", (line) => {
        output.push(line);
        if (process.env.TEST_VERBOSE) console.log(line);
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
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}):\n${output.join("\n")}`));
    });
  });
  running.catch(() => {});
  return {
    get url() {
      return url;
    },
    child,
    output,
    exited,
    running,
    pids: (name) =>
      output.flatMap((line) => {
        const match = new RegExp(`^\\[start\\] ${name} started \\(pid (\\d+)\\)$`).exec(line);
        return match ? [Number(match[1])] : [];
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
      return (await exited).code;
    },
  };
}

/** npm start, once it says it is running. */
export async function startService(
  env: NodeJS.ProcessEnv,
): Promise<StartedService & { seconds: number }> {
  const begin = Date.now();
  const service = launchService(env);
  await service.running;
  return Object.assign(service, { seconds: (Date.now() - begin) / 1000 });
}

/** Whether a process with this id runs (signal 0 checks without signalling). */
export function processAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The first line an SMTP server sends, or the connection error. */
export function smtpGreeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error("no SMTP greeting"));
    });
    socket.once("data", (chunk) => {
      socket.end("QUIT\r\n");
      resolve(chunk.toString());
    });
    socket.once("error", reject);
  });
}

/** Resolves once the SMTP port greets with 220 again. */
export async function waitForGreeting(port: number, timeoutMs = 60_000): Promise<void> {
  await waitUntil(
    `an SMTP greeting on ${port}`,
    () =>
      smtpGreeting(port).then(
        (line) => /^220 /.test(line),
        () => false,
      ),
    timeoutMs,
    100,
  );
}
