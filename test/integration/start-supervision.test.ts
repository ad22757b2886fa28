// `npm start` keeps the service up when a part of it dies (issue 13): on a
// fresh data folder, through scripts/start.ts, a gateway SIGKILLed under SMTP
// load is restarted while the web app keeps answering, and every message
// that got a 250 is stored exactly once; a killed web app and a killed
// embedded Postgres come back too; /healthz and /readyz of both processes
// tell the truth (503 while the database is unreachable or the latest
// migration is missing); Ctrl-C still stops everything, Postgres last.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, test } from "node:test";
import pg from "pg";
import { listMigrationNames } from "../../lib/db/migrate.ts";
import { sendOnce, simpleMessage } from "../helpers/smtp-harness.ts";
import { loadMessage, startLoad } from "../helpers/smtp-load.ts";
import {
  processAlive,
  startEnvironment,
  startService,
  waitForGreeting,
} from "../helpers/start-process.ts";
import { waitUntil } from "../helpers/wait.ts";

const { env, ports, dataDir } = await startEnvironment({ MAIL_DOMAIN: "mail.test" });
const service = await startService(env);
after(() => service.stop());
console.log(`npm start ready in ${service.seconds.toFixed(1)} s`);

// The test reaches the service's embedded database as the admin CLI does.
const password = (await readFile(path.join(dataDir, "postgres", "password"), "utf8")).trim();
const serverUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${ports.postgres}`;
process.env.DATABASE_URL = `${serverUrl}/mail`;
const { makeAccount } = await import("../helpers/accounts.ts");
const { db, disconnectDb } = await import("../../lib/db.ts");
after(disconnectDb);
const bob = await makeAccount("bob");

async function asAdmin<T>(database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: `${serverUrl}/${database}` });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const probeUrls = {
  web: `http://127.0.0.1:${ports.web}`,
  gateway: `http://127.0.0.1:${ports.gatewayHttp}`,
};

async function probe(
  part: keyof typeof probeUrls,
  route: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(probeUrls[part] + route, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Waits until /readyz of both processes answers `status`; returns their bodies. */
async function readinessOfBoth(status: number) {
  return waitUntil(`/readyz ${status} from web and gateway`, async () => {
    const answers = await Promise.all([probe("web", "/readyz"), probe("gateway", "/readyz")]);
    return answers.every((a) => a.status === status) && answers.map((a) => a.body);
  });
}

const last = (pids: number[]) => pids.at(-1)!;

test("/healthz and /readyz of web and gateway: 200 when serving, /readyz 503 without the latest migration or the database", async () => {
  const latest = (await listMigrationNames()).at(-1)!;
  for (const part of ["web", "gateway"] as const) {
    assert.deepEqual(await probe(part, "/healthz"), { status: 200, body: { status: "alive" } });
    assert.deepEqual(await probe(part, "/readyz"), {
      status: 200,
      body: { status: "ready", database: "ok", latestMigration: latest, migrationApplied: true },
    });
  }
  assert.equal((await probe("gateway", "/metrics-later")).status, 404);

  // The database lacks the migration this code expects.
  const [applied] = await asAdmin("mail", async (client) => {
    const { rows } = await client.query(`DELETE FROM "_migrations" WHERE name = $1 RETURNING *`, [
      latest,
    ]);
    return rows;
  });
  try {
    for (const body of await readinessOfBoth(503)) {
      assert.deepEqual(body, {
        status: "not ready",
        database: "ok",
        latestMigration: latest,
        migrationApplied: false,
      });
    }
  } finally {
    await asAdmin("mail", (client) =>
      client.query(`INSERT INTO "_migrations" (name, checksum, applied_at) VALUES ($1, $2, $3)`, [
        applied.name,
        applied.checksum,
        applied.applied_at,
      ]),
    );
  }
  await readinessOfBoth(200);

  // The database refuses every connection (and drops the open ones).
  await asAdmin("postgres", async (client) => {
    await client.query(`ALTER DATABASE mail ALLOW_CONNECTIONS false`);
    await client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'mail' AND pid <> pg_backend_pid()`,
    );
  });
  try {
    for (const body of await readinessOfBoth(503)) {
      assert.equal(body.status, "not ready");
      assert.equal(body.database, "unreachable");
      assert.equal(body.migrationApplied, null);
    }
    // Alive all the same: nothing to restart.
    for (const part of ["web", "gateway"] as const) {
      assert.equal((await probe(part, "/healthz")).status, 200);
    }
  } finally {
    await asAdmin("postgres", (client) =>
      client.query(`ALTER DATABASE mail ALLOW_CONNECTIONS true`),
    );
  }
  await readinessOfBoth(200);
});

test("a gateway SIGKILLed under SMTP load is restarted, the web app answers throughout, every 250 is stored once", async (t) => {
  const webPid = last(service.pids("web"));
  const gatewayRuns = service.pids("gateway").length;
  const gatewayPid = last(service.pids("gateway"));
  const load = startLoad({
    port: ports.smtp,
    connections: 8,
    recipients: [bob.address],
    message: (id) => loadMessage(id, id.endsWith("7") ? 200_000 : 4_000, bob.address),
    reconnect: true,
    idPrefix: "kill",
  });
  // The web app is asked for a page every 100 ms until the gateway is back.
  let polling = true;
  // Neither loop may outlive a failed test (the file would never end).
  t.after(() => {
    polling = false;
    load.stop();
  });
  await waitUntil("100 messages accepted", async () => load.acked.length >= 100, 60_000);

  const webAnswers: number[] = [];
  const poller = (async () => {
    while (polling) {
      const status = await fetch(`${probeUrls.web}/login`, { signal: AbortSignal.timeout(10_000) })
        .then((r) => r.status)
        .catch(() => 0);
      webAnswers.push(status);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  process.kill(gatewayPid, "SIGKILL");
  const killedAt = Date.now();
  const newPid = await waitUntil(
    "a new gateway",
    async () => service.pids("gateway").length > gatewayRuns && last(service.pids("gateway")),
    60_000,
  );
  await waitForGreeting(ports.smtp);
  const backAfter = (Date.now() - killedAt) / 1000;
  const ackedAtRestart = load.acked.length;
  polling = false;
  await poller;
  await waitUntil(
    "50 messages accepted by the new gateway",
    async () => {
      return load.acked.length >= ackedAtRestart + 50;
    },
    60_000,
  );
  load.stop();
  await load.done;
  console.log(
    `gateway greeting again ${backAfter.toFixed(1)} s after SIGKILL; ${load.acked.length} messages acknowledged, ` +
      `${webAnswers.length} web requests during the restart`,
  );

  assert.notEqual(newPid, gatewayPid);
  assert.ok(
    service.output.some((line) => line.startsWith("[start] gateway was killed by SIGKILL after")),
    service.output.join("\n"),
  );
  assert.ok(webAnswers.length > 0);
  assert.deepEqual(
    webAnswers.filter((status) => status !== 200),
    [],
    "the web app answered every request",
  );
  assert.equal(last(service.pids("web")), webPid, "the web app was not restarted");

  const rows = await db.message.findMany({
    where: { accountId: bob.id, messageIdHeader: { startsWith: "<kill-" } },
    select: { messageIdHeader: true },
  });
  const copies = new Map<string, number>();
  for (const row of rows)
    copies.set(row.messageIdHeader!, (copies.get(row.messageIdHeader!) ?? 0) + 1);
  for (const id of load.acked) {
    assert.equal(copies.get(`<${id}@example.org>`), 1, `acknowledged ${id} is stored once`);
  }
  // Each id was sent once: nothing, acknowledged or not, is stored twice.
  assert.deepEqual(
    [...copies].filter(([, count]) => count > 1),
    [],
  );
});

test("a SIGKILLed web app is restarted; the gateway is left alone", async () => {
  const webRuns = service.pids("web").length;
  const webPid = last(service.pids("web"));
  const gatewayPid = last(service.pids("gateway"));
  process.kill(webPid, "SIGKILL");
  await waitUntil("a new web app", async () => service.pids("web").length > webRuns, 60_000);
  await waitUntil(
    "the web app answering",
    () =>
      probe("web", "/healthz").then(
        (a) => a.status === 200,
        () => false,
      ),
    120_000,
    200,
  );
  assert.ok(
    service.output.some((line) => line.startsWith("[start] web was killed by SIGKILL after")),
  );
  assert.equal((await fetch(`${probeUrls.web}/login`)).status, 200);
  assert.equal(last(service.pids("gateway")), gatewayPid);
  await waitForGreeting(ports.smtp, 5_000);
});

test("a SIGKILLed embedded Postgres is restarted; web and gateway stay up and serve again", async () => {
  const pidFile = path.join(dataDir, "postgres", "cluster", "postmaster.pid");
  const postmaster = Number((await readFile(pidFile, "utf8")).split("\n")[0]);
  assert.equal(last(service.pids("postgres")), postmaster);
  const webPid = last(service.pids("web"));
  const gatewayPid = last(service.pids("gateway"));
  process.kill(postmaster, "SIGKILL");
  await waitUntil(
    "a new Postgres",
    async () => last(service.pids("postgres")) !== postmaster,
    60_000,
  );
  assert.ok(
    service.output.some((line) => line.startsWith("[start] postgres was killed by SIGKILL after")),
  );
  await readinessOfBoth(200);
  const sent = await sendOnce(
    ports.smtp,
    { from: "alice@example.org", to: [bob.address] },
    simpleMessage({ to: bob.address, subject: "after Postgres came back" }),
  );
  assert.equal(sent.final?.code, 250, sent.final?.text);
  assert.equal(
    await db.message.count({ where: { accountId: bob.id, subject: "after Postgres came back" } }),
    1,
  );
  assert.equal(last(service.pids("web")), webPid);
  assert.equal(last(service.pids("gateway")), gatewayPid);
});

test("Ctrl-C stops web, gateway and then Postgres, and exits 0", async () => {
  await disconnectDb();
  const pids = ["web", "gateway", "postgres"].map((name) => last(service.pids(name)));
  assert.equal(await service.stop(), 0);
  assert.equal(service.output.at(-1), "[start] stopped");
  for (const pid of pids) assert.ok(!processAlive(pid), `process ${pid} is gone`);
});
