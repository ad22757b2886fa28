// The production start path (`npm start`) on a fresh data folder: the web
// app answers, the gateway's SMTP port greets, the admin CLI works against
// the running service, Ctrl-C stops everything, and a second start finds the
// data again.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { getFreePort } from "../helpers/net.ts";
import { freshDataDir, startService } from "../helpers/service.ts";

const root = path.resolve(import.meta.dirname, "../..");
const runFile = promisify(execFile);

const dataDir = await freshDataDir();
const [webPort, smtpPort, submissionPort, pgPort] = await Promise.all([
  getFreePort(),
  getFreePort(),
  getFreePort(),
  getFreePort(),
]);
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: "",
  DATA_DIR: dataDir,
  EMBEDDED_PG_PORT: String(pgPort),
  WEB_PORT: String(webPort),
  WEB_HOST: "127.0.0.1",
  SMTP_PORT: String(smtpPort),
  SUBMISSION_PORT: String(submissionPort),
  POP3_PORT: "0",
  POP3S_PORT: "0",
  IMAP_PORT: "0",
  IMAPS_PORT: "0",
  LISTEN_HOST: "127.0.0.1",
  MAIL_DOMAIN: "start.test",
};
delete env.DATABASE_URL;
delete env.NEXTAUTH_SECRET;
// Set by the test runner for its own children; a Node process that inherits
// it behaves as a test file, not as the service.
delete env.NODE_TEST_CONTEXT;

const start = () => startService(env);

function smtpGreeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.setTimeout(10_000, () => reject(new Error("no SMTP greeting")));
    socket.once("data", (chunk) => {
      socket.end("QUIT\r\n");
      resolve(chunk.toString());
    });
    socket.once("error", reject);
  });
}

test(
  "npm start runs web and gateway on a fresh data folder, stops on Ctrl-C, restarts on the same data",
  { timeout: 300_000 },
  async () => {
    const first = await start();
    try {
      const banner = first.output.join("\n");
      assert.match(banner, new RegExp(`Sign up\\s+http://localhost:${webPort}/signup`));
      assert.match(banner, /npm run admin -- create-admin you@start\.test/);

      const login = await fetch(`http://127.0.0.1:${webPort}/login`);
      assert.equal(login.status, 200);
      assert.match(await login.text(), /Sign in/);
      const signup = await fetch(`http://127.0.0.1:${webPort}/signup`);
      assert.match(await signup.text(), /start\.test/);
      assert.match(await smtpGreeting(smtpPort), /^220 /);

      // The admin CLI reaches the running service's embedded database.
      const created = await runFile(
        process.execPath,
        ["--import", "tsx", "scripts/admin.ts", "create-admin", "boss@start.test"],
        {
          cwd: root,
          env: { ...env, ADMIN_PASSWORD: "a long admin passphrase" },
        },
      );
      assert.match(created.stdout, /created admin boss@start\.test/);
    } finally {
      assert.equal(await first.stop(), 0, "Ctrl-C ends npm start with status 0");
    }
    console.log(`first start (cold, embedded Postgres initialised): ${first.seconds.toFixed(1)} s`);

    const second = await start();
    try {
      // The account made during the first run is still there.
      const again = await runFile(
        process.execPath,
        ["--import", "tsx", "scripts/admin.ts", "create-admin", "boss@start.test"],
        {
          cwd: root,
          env,
        },
      );
      assert.match(again.stdout, /boss@start\.test is now an admin/);
      assert.equal((await fetch(`http://127.0.0.1:${webPort}/login`)).status, 200);
    } finally {
      assert.equal(await second.stop(), 0);
    }
    console.log(`second start (warm): ${second.seconds.toFixed(1)} s`);
  },
);
