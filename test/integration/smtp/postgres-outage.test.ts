// Postgres stopped mid-load: clients get 4xx (never 250 for what was not
// committed, never 5xx), the gateway process keeps running, and mail flows
// again once Postgres is back. Uses its own embedded Postgres to stop.
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { ensureDatabase, startEmbeddedPostgres } from "../../../lib/db/embedded-postgres.ts";
import { migrate } from "../../../lib/db/migrate.ts";
import { getFreePort } from "../../helpers/net.ts";

const pgDir = await mkdtemp(path.join(tmpdir(), "mail-outage-pg-"));
await chmod(pgDir, 0o755);
const pgPort = await getFreePort();
let postgres = await startEmbeddedPostgres({ dir: pgDir, port: pgPort });
const databaseUrl = await ensureDatabase(postgres.adminUrl, "mail");
await migrate(databaseUrl);
process.env.DATABASE_URL = databaseUrl;
after(async () => {
  const { disconnectDb } = await import("../../../lib/db.ts");
  await disconnectDb();
  await postgres.stop();
  await rm(pgDir, { recursive: true, force: true });
});

const { makeAccount } = await import("../../helpers/accounts.ts");
const { spawnGateway } = await import("../../helpers/gateway-process.ts");
const { startLoad, loadMessage } = await import("../../helpers/smtp-load.ts");
const { db } = await import("../../../lib/db.ts");

await makeAccount("bob");
const dataDir = await mkdtemp(path.join(tmpdir(), "mail-outage-"));
after(() => rm(dataDir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(condition: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
const sum = (codes: Map<number, number>, test: (code: number) => boolean) =>
  [...codes].filter(([code]) => test(code)).reduce((n, [, c]) => n + c, 0);

test(
  "clients get 4xx while Postgres is down, and mail flows again when it is back",
  { timeout: 120_000 },
  async (t) => {
    const gateway = await spawnGateway({ databaseUrl, dataDir });
    const load = startLoad({
      port: gateway.port,
      connections: 8,
      recipients: ["bob@mail.test"],
      message: (id) => loadMessage(id, 3_000),
      reconnect: true,
      idPrefix: "outage",
    });
    t.after(() => load.stop());

    await until(() => load.acked.length >= 30, 30_000, "deliveries before the outage");
    await postgres.stop();
    const ackedAtStop = load.acked.length;
    // While Postgres is down every transaction fails temporarily.
    await until(
      () => sum(load.codes, (c) => c >= 400 && c < 500) >= 20,
      30_000,
      "4xx replies during the outage",
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}; replies ${[...load.codes].join(" ")}; gateway said:\n${gateway.output.slice(-20).join("\n")}`,
      );
    });
    const ackedDuringOutage = load.acked.length - ackedAtStop;
    assert.ok(gateway.alive(), `the gateway died: ${gateway.output.join("\n")}`);

    postgres = await startEmbeddedPostgres({ dir: pgDir, port: pgPort });
    const ackedAtRestart = load.acked.length;
    await until(
      () => load.acked.length >= ackedAtRestart + 30,
      60_000,
      "deliveries after Postgres came back",
    );
    load.stop();
    await load.done;

    assert.ok(gateway.alive(), "the gateway is still running");
    // A commit that was under way when Postgres stopped may have been acknowledged; nothing after it.
    assert.ok(
      ackedDuringOutage <= 8,
      `${ackedDuringOutage} messages acknowledged while Postgres was down`,
    );
    assert.equal(
      sum(load.codes, (c) => c >= 500),
      0,
      `no permanent failures: ${[...load.codes].join(" ")}`,
    );
    const temporary = [...load.codes.keys()].filter((c) => c >= 400 && c < 500);
    assert.deepEqual(temporary, [451], "the temporary failure is 451");
    assert.match(load.texts.get(451)!, /^451 4\.3\.0 /);

    // Every acknowledged message is stored exactly once.
    const rows = await db.message.groupBy({
      by: ["messageIdHeader"],
      where: { messageIdHeader: { startsWith: "<outage-" } },
      _count: true,
    });
    const stored = new Map(rows.map((r) => [r.messageIdHeader, r._count]));
    for (const id of load.acked) assert.equal(stored.get(`<${id}@example.org>`), 1, `${id}`);

    gateway.child.kill("SIGTERM");
    assert.deepEqual(await gateway.exited, { code: 0, signal: null });
  },
);
