// The production start path (`npm start`) on a fresh data folder: the web
// app answers, the gateway's SMTP port greets, the admin CLI works against
// the running service, Ctrl-C stops everything, and a second start finds the
// data again.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { smtpGreeting, startEnvironment, startService } from "../helpers/start-process.ts";

const root = path.resolve(import.meta.dirname, "../..");
const runFile = promisify(execFile);

const { env, ports } = await startEnvironment({ MAIL_DOMAIN: "start.test" });
const webPort = ports.web;

test(
  "npm start runs web and gateway on a fresh data folder, stops on Ctrl-C, restarts on the same data",
  { timeout: 300_000 },
  async () => {
    const first = await startService(env);
    try {
      const banner = first.output.join("\n");
      assert.match(banner, new RegExp(`Sign up\\s+http://localhost:${webPort}/signup`));
      assert.match(banner, /npm run admin -- create-admin you@start\.test/);

      const login = await fetch(`http://127.0.0.1:${webPort}/login`);
      assert.equal(login.status, 200);
      assert.match(await login.text(), /Sign in/);
      const signup = await fetch(`http://127.0.0.1:${webPort}/signup`);
      assert.match(await signup.text(), /start\.test/);
      assert.match(await smtpGreeting(ports.smtp), /^220 /);

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

    const second = await startService(env);
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
