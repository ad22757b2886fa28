// Two gateway processes working one queue: each message reaches the peer
// exactly once, both processes take part (each says its own name in EHLO),
// and both keep running and stop cleanly.
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";

const databaseUrl = await useTestDatabase();
const { spawnGateway } = await import("../../helpers/gateway-process.ts");
const { startSmtpPeer } = await import("../../helpers/smtp-peer.ts");
const { queueOutbound, countByMessageId } = await import("../../helpers/outbound.ts");
const { waitUntil } = await import("../../helpers/wait.ts");
const { db } = await import("../../../lib/db.ts");

const MESSAGES = 200;
const peer = await startSmtpPeer();
peer.delayMs = 5;

test(
  "two gateway processes on one queue deliver every message exactly once",
  { timeout: 180_000 },
  async () => {
    const env = {
      RELAY_ROUTES: `peer.test=127.0.0.1:${peer.port}`,
      RELAY_LEASE_SECONDS: "30",
      // Long: new mail must wake the workers through NOTIFY, not a poll.
      RELAY_POLL_SECONDS: "60",
      RELAY_CONCURRENCY_PER_DOMAIN: "2",
    };
    const gateways = await Promise.all(
      ["mx1", "mx2"].map(async (name) =>
        spawnGateway({
          databaseUrl,
          dataDir: await mkdtemp(path.join(tmpdir(), `mail-relay-${name}-`)),
          env: { ...env, MAIL_HOSTNAME: `${name}.mail.test` },
        }),
      ),
    );
    // Both workers are idle (nothing queued yet) when the mail arrives.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const queued = await queueOutbound(
      Array.from({ length: MESSAGES }, (_, i) => ({ recipients: [`twice${i}@peer.test`] })),
      "pair",
    );
    await waitUntil(
      "every recipient delivered",
      async () =>
        (await db.outboundRecipient.count({ where: { status: "DELIVERED" } })) === MESSAGES,
      120_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));

    const counts = countByMessageId(peer.received);
    for (const message of queued)
      assert.equal(counts.get(message.messageId), 1, `${message.messageId} arrived once`);
    assert.equal(peer.received.length, MESSAGES);
    const byGateway = new Map<string, number>();
    for (const m of peer.received)
      byGateway.set(m.clientHostname, (byGateway.get(m.clientHostname) ?? 0) + 1);
    assert.deepEqual([...byGateway.keys()].sort(), ["mx1.mail.test", "mx2.mail.test"]);
    console.log(`two gateways: ${JSON.stringify(Object.fromEntries(byGateway))}`);

    for (const gateway of gateways) assert.ok(gateway.alive(), "neither gateway died");
    for (const gateway of gateways) gateway.child.kill("SIGTERM");
    for (const gateway of gateways) assert.equal((await gateway.exited).code, 0);
  },
);
