// The gateway as a separate process, run as in production (its bundle,
// scripts/lib/gateway-build.ts, which the test runner builds when stale),
// for tests that kill it or must see that it survives.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { after } from "node:test";
import { existsSync } from "node:fs";
import { GATEWAY_BUNDLE, gatewayProcess } from "../../scripts/lib/gateway-build.ts";
import { getFreePort } from "./net.ts";

const root = path.resolve(import.meta.dirname, "../..");

export type GatewayProcess = {
  child: ChildProcess;
  port: number;
  /** The HTTP listener of the health probes (GATEWAY_HTTP_PORT). */
  httpPort: number;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
};

export async function spawnGateway(options: {
  databaseUrl: string;
  dataDir: string;
  port?: number;
  env?: Record<string, string>;
}): Promise<GatewayProcess> {
  const port = options.port ?? (await getFreePort());
  const submissionPort = await getFreePort();
  const httpPort = await getFreePort();
  // A closed local port as the DNS server: lookups fail at once (temperror)
  // and no query leaves the machine.
  const deadDns = await getFreePort();
  if (!existsSync(path.join(root, GATEWAY_BUNDLE))) {
    throw new Error(
      `${GATEWAY_BUNDLE} is missing: run the tests with npm test (scripts/test.ts builds it)`,
    );
  }
  const gateway = gatewayProcess(root);
  const child = spawn(process.execPath, gateway.args, {
    cwd: root,
    env: {
      ...gateway.env,
      DATABASE_URL: options.databaseUrl,
      SMTP_PORT: String(port),
      SUBMISSION_PORT: String(submissionPort),
      LISTEN_HOST: "127.0.0.1",
      DATA_DIR: options.dataDir,
      MAIL_DOMAIN: "mail.test",
      MAIL_HOSTNAME: "mx.mail.test",
      DNS_SERVERS: `127.0.0.1:${deadDns}`,
      // Free ports, so parallel test files never collide on POP3's defaults.
      POP3_PORT: "0",
      POP3S_PORT: "0",
      IMAP_PORT: "0",
      IMAPS_PORT: "0",
      GATEWAY_HTTP_PORT: String(httpPort),
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    }),
  );
  after(() => {
    if (!exitInfo) child.kill("SIGKILL");
  });
  const listening = new Promise<void>((resolve, reject) => {
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n").filter(Boolean)) {
        output.push(line);
        if (line.includes("smtp listening on")) resolve();
      }
    };
    child.stdout!.on("data", onLine);
    child.stderr!.on("data", onLine);
    void exited.then((e) =>
      reject(new Error(`gateway exited (${e.code ?? e.signal}): ${output.join("\n")}`)),
    );
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    listening,
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`gateway did not start: ${output.join("\n")}`)),
        60_000,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  return { child, port, httpPort, output, exited, alive: () => exitInfo === null };
}
