// `npm start` gives up on a crash loop: a child that dies every time it
// starts (its port is taken) is restarted with backoff a few times, then the
// whole service stops with a clear message and a non-zero exit, and nothing
// of it keeps running. Each crash report carries the child's own reason.
import assert from "node:assert/strict";
import net from "node:net";
import { after, test } from "node:test";
import { launchService, processAlive, startEnvironment } from "../helpers/start-process.ts";

async function takePort(): Promise<number> {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  after(() => blocker.close());
  return (blocker.address() as net.AddressInfo).port;
}

async function crashLoop(child: "gateway" | "web", portVariable: string, reason: RegExp) {
  const taken = await takePort();
  const { env } = await startEnvironment({ [portVariable]: String(taken) });
  const service = launchService(env);
  const { code } = await service.exited;
  const output = service.output.join("\n");
  assert.equal(code, 1, output);
  assert.ok(!output.includes("Mail is running"), output);
  assert.equal(
    service.output.at(-1),
    `[start] ${child} stopped unexpectedly 5 times within 120 s (last: exited with code 1); ` +
      "giving up and stopping the service",
  );
  // Four restarts, 1 s doubling, each report ending with the child's reason.
  const reports = service.output.flatMap((line, i) => {
    if (!line.startsWith(`[start] ${child} exited with code 1 after`)) return [];
    const end = service.output.findIndex((next, j) => j > i && !next.startsWith("    "));
    return [service.output.slice(i, end).join("\n")];
  });
  assert.equal(reports.length, 5, output);
  assert.deepEqual(
    reports.slice(0, 4).map((report) => /restarting it in (\S+ s)/.exec(report)?.[1]),
    ["1 s", "2 s", "4 s", "8 s"],
  );
  for (const report of reports) assert.match(report, reason);
  // Everything it started has been stopped.
  for (const name of ["web", "gateway", "postgres"]) {
    for (const pid of service.pids(name))
      assert.ok(!processAlive(pid), `${name} ${pid} still runs`);
  }
  assert.equal(service.pids(child).length, 5);
}

test(
  "a gateway whose SMTP port is taken: restarted with backoff, then the service stops with exit 1",
  { timeout: 300_000 },
  () =>
    crashLoop(
      "gateway",
      "SMTP_PORT",
      /\n {4}gateway: exiting after an uncaught error: listen EADDRINUSE: address already in use 127\.0\.0\.1:\d+$/,
    ),
);

test(
  "a web app whose port is taken exits 1 with the reason (not 0, as Next.js's error handlers had it), and loops the same way",
  { timeout: 300_000 },
  () =>
    crashLoop(
      "web",
      "WEB_PORT",
      /\n {4}web: cannot listen on 127\.0\.0\.1:\d+: listen EADDRINUSE: address already in use 127\.0\.0\.1:\d+$/,
    ),
);
