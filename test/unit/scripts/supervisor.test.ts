// The supervisor of `npm start` (scripts/lib/supervisor.ts) over real child
// processes (small node scripts) with short backoffs: a dead child is
// restarted and the report says why, the others keep running, the backoff
// doubles to its cap and resets after a stable run, a crash loop stops
// everything with a clear reason, and stop() stops later groups first.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import {
  nodeService,
  Supervisor,
  type Service,
  type SupervisorPolicy,
} from "../../../scripts/lib/supervisor.ts";
import { processAlive } from "../../helpers/start-process.ts";
import { waitUntil } from "../../helpers/wait.ts";

const work = await mkdtemp(path.join(tmpdir(), "supervisor-"));
after(() => rm(work, { recursive: true, force: true }));

const FAST: Partial<SupervisorPolicy> = {
  initialBackoffMs: 50,
  maxBackoffMs: 200,
  stableRunMs: 5_000,
  maxCrashes: 5,
  crashWindowMs: 60_000,
};

/** A service running `script` with node; it is ready when it prints "listening on". */
function script(name: string, source: string, env: Record<string, string> = {}): Service {
  return nodeService({
    name,
    args: ["-e", source],
    env: { ...process.env, ...env },
    cwd: work,
    readyWhen: /listening on/,
    output: () => {},
    stopGraceMs: 5_000,
  });
}

const LONG_RUNNING = `console.log("listening on nothing"); setInterval(() => {}, 1000);`;

function supervisorFor(policy: Partial<SupervisorPolicy> = FAST) {
  const logs: string[] = [];
  const gaveUp: string[] = [];
  const supervisor = new Supervisor({
    policy,
    log: (line) => logs.push(line),
    onGiveUp: (reason) => gaveUp.push(reason),
  });
  after(() => supervisor.stop());
  return { supervisor, logs, gaveUp };
}

const pidsOf = (logs: string[], name: string) =>
  logs.flatMap((line) => {
    const match = new RegExp(`^${name} started \\(pid (\\d+)\\)$`).exec(line);
    return match ? [Number(match[1])] : [];
  });

test("a killed child is restarted, the report names the signal and its last output, the other keeps running", async () => {
  const { supervisor, logs } = supervisorFor();
  await supervisor.add(
    script("web", `console.log("serving pages"); ${LONG_RUNNING}`),
    script("gateway", LONG_RUNNING),
  );
  const webPid = supervisor.pid("web")!;
  const gatewayPid = supervisor.pid("gateway")!;
  process.kill(gatewayPid, "SIGKILL");

  const pids = await waitUntil("a second gateway", async () => {
    const started = pidsOf(logs, "gateway");
    return started.length === 2 && started;
  });
  assert.notEqual(pids[1], gatewayPid);
  assert.ok(processAlive(pids[1]), "the new gateway runs");
  const report = logs.find((line) => line.startsWith("gateway was killed by SIGKILL"));
  assert.ok(report, logs.join("\n"));
  assert.match(report, /restarting it in 50 ms; its last output:\n {4}listening on nothing/);
  // The web app was not touched.
  assert.deepEqual(pidsOf(logs, "web"), [webPid]);
  assert.ok(processAlive(webPid));
});

test("the backoff doubles up to its cap; a crash loop stops every service and says why", async () => {
  const { supervisor, logs, gaveUp } = supervisorFor();
  const healthy = script("web", LONG_RUNNING);
  const crashing = script(
    "gateway",
    `console.error("Error: listen EADDRINUSE: address already in use"); process.exit(3);`,
  );
  void supervisor.add(healthy, crashing);
  await waitUntil("the supervisor to give up", async () => gaveUp.length > 0, 30_000);

  const waits = logs.flatMap((line) => {
    const match = /^gateway exited with code 3 after .*; restarting it in (\d+) ms/.exec(line);
    return match ? [Number(match[1])] : [];
  });
  assert.deepEqual(waits, [50, 100, 200, 200]);
  assert.equal(gaveUp.length, 1);
  assert.match(
    gaveUp[0]!,
    /^gateway stopped unexpectedly 5 times within 60 s \(last: exited with code 3\); giving up and stopping the service$/,
  );
  // The last crash's report carries the child's own words.
  assert.match(logs.at(-1)!, /gateway exited with code 3 .*\n {4}Error: listen EADDRINUSE/s);
  const webPid = pidsOf(logs, "web")[0];
  assert.ok(webPid && !processAlive(webPid), "the healthy service was stopped too");
});

test("a child that dies before it is ready is retried; a stable run resets the backoff", async () => {
  const { supervisor, logs, gaveUp } = supervisorFor();
  // Run 1 and 2 fail at once; run 3 serves for longer than stableRunMs, then
  // dies; run 4 fails at once; run 5 serves.
  const counter = path.join(work, "runs");
  const source = `
    const fs = require("node:fs");
    const run = (fs.existsSync(${JSON.stringify(counter)}) ? Number(fs.readFileSync(${JSON.stringify(counter)}, "utf8")) : 0) + 1;
    fs.writeFileSync(${JSON.stringify(counter)}, String(run));
    console.log("run " + run);
    if (run === 1 || run === 2 || run === 4) process.exit(1);
    console.log("listening on nothing");
    if (run === 3) setTimeout(() => process.exit(1), 5_500);
    setInterval(() => {}, 1000);`;
  await supervisor.add(script("gateway", source));
  // add() resolved with run 3, after two failures.
  assert.equal(await readFile(counter, "utf8"), "3");
  await waitUntil("run 5", async () => (await readFile(counter, "utf8")) === "5", 30_000);
  const waits = logs.flatMap((line) => {
    const match = /^gateway exited with code 1 after .*; restarting it in (\d+) ms/.exec(line);
    return match ? [Number(match[1])] : [];
  });
  // 50, 100 for runs 1 and 2; run 3 was stable: 50 again, then 100.
  assert.deepEqual(waits, [50, 100, 50, 100]);
  assert.deepEqual(gaveUp, []);
});

test("a long run that never became ready does not reset the backoff", async () => {
  const { supervisor, logs } = supervisorFor();
  // Run 1 is ready; every later run boots slowly (longer than stableRunMs)
  // and dies before it listens: a crash loop on a loaded machine.
  const counter = path.join(work, "slow-runs");
  const source = `
    const fs = require("node:fs");
    const run = (fs.existsSync(${JSON.stringify(counter)}) ? Number(fs.readFileSync(${JSON.stringify(counter)}, "utf8")) : 0) + 1;
    fs.writeFileSync(${JSON.stringify(counter)}, String(run));
    if (run === 1) { console.log("listening on nothing"); setTimeout(() => process.exit(1), 100); }
    else setTimeout(() => process.exit(1), 5_500);
    setInterval(() => {}, 1000);`;
  await supervisor.add(script("web", source));
  await waitUntil("run 3", async () => (await readFile(counter, "utf8")) === "3", 30_000);
  await waitUntil(
    "run 3's exit",
    async () => logs.filter((l) => /^web exited with code 1/.test(l)).length >= 3,
    30_000,
  );
  const waits = logs.flatMap((line) => {
    const match = /^web exited with code 1 after .*; restarting it in (\d+) ms/.exec(line);
    return match ? [Number(match[1])] : [];
  });
  assert.deepEqual(waits.slice(0, 3), [50, 100, 200]);
});

test("stop() stops the services added last first, and restarts nothing", async () => {
  const { supervisor, logs } = supervisorFor();
  const appPidFile = path.join(work, "app.pid");
  const verdict = path.join(work, "verdict");
  // The database, on SIGTERM, writes down whether the app still ran.
  const database = script(
    "postgres",
    `const fs = require("node:fs");
     process.on("SIGTERM", () => {
       const pid = Number(fs.readFileSync(${JSON.stringify(appPidFile)}, "utf8"));
       let running = true;
       try { process.kill(pid, 0); } catch { running = false; }
       fs.writeFileSync(${JSON.stringify(verdict)}, running ? "app still running" : "app stopped first");
       process.exit(0);
     });
     ${LONG_RUNNING}`,
  );
  const app = script(
    "web",
    `require("node:fs").writeFileSync(${JSON.stringify(appPidFile)}, String(process.pid));
     process.on("SIGTERM", () => setTimeout(() => process.exit(0), 300));
     ${LONG_RUNNING}`,
  );
  await supervisor.add(database);
  await supervisor.add(app);
  await supervisor.stop();
  assert.ok(existsSync(verdict), "the database got SIGTERM");
  assert.equal(await readFile(verdict, "utf8"), "app stopped first");
  assert.ok(!logs.some((line) => /restarting/.test(line)), logs.join("\n"));
});
