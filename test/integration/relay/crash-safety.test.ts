// Crash safety of the relay queue: the gateway runs as its own process and
// is SIGKILLed while it relays 500 messages to a slow peer. After a restart
// every recipient ends delivered, the peer has every message, the killed
// process's leases are taken over only once they expire, and the only
// duplicates are messages that were in flight (leased) at the kill.
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

const MESSAGES = 500;
const LEASE_SECONDS = 3;
const peer = await startSmtpPeer();
// A slow remote: each message waits this long for its 250, so a good part of
// the queue is on the wire or leased when the kill comes.
peer.delayMs = 30;
const dataDir = await mkdtemp(path.join(tmpdir(), "mail-relay-crash-"));
const env = {
  RELAY_ROUTES: `peer.test=127.0.0.1:${peer.port}`,
  RELAY_LEASE_SECONDS: String(LEASE_SECONDS),
  RELAY_POLL_SECONDS: "0.5",
  RELAY_CONCURRENCY_PER_DOMAIN: "4",
};

test(
  "SIGKILL while relaying 500 messages: after a restart none is lost, duplicates only from leases",
  { timeout: 240_000 },
  async () => {
    const queued = await queueOutbound(
      Array.from({ length: MESSAGES }, (_, i) => ({ recipients: [`crash${i}@peer.test`] })),
      "crash",
    );
    const first = await spawnGateway({ databaseUrl, dataDir, env });
    await peer.waitForMessages(120, 120_000);
    first.child.kill("SIGKILL");
    assert.equal((await first.exited).signal, "SIGKILL");

    // What the dead process held: rows leased to it and not yet recorded.
    const leased = await db.outboundRecipient.findMany({
      where: { status: { in: ["QUEUED", "DEFERRED"] }, leaseOwner: { not: null } },
      select: { id: true, leaseUntil: true },
    });
    const deliveredAtKill = await db.outboundRecipient.count({ where: { status: "DELIVERED" } });
    assert.ok(
      deliveredAtKill < MESSAGES,
      `the kill came too late: all ${deliveredAtKill} were delivered`,
    );

    const second = await spawnGateway({ databaseUrl, dataDir, env });
    await waitUntil(
      "every recipient to settle",
      async () =>
        (await db.outboundRecipient.count({
          where: { status: { in: ["DELIVERED", "BOUNCED"] } },
        })) === MESSAGES,
      180_000,
    );
    assert.ok(second.alive(), "the restarted gateway is still running");

    const rows = await db.outboundRecipient.findMany({
      select: { id: true, status: true, finishedAt: true, attempts: true },
    });
    assert.equal(rows.length, MESSAGES);
    assert.deepEqual(
      rows.filter((r) => r.status !== "DELIVERED").map((r) => r.status),
      [],
      "the peer accepts everything, so every recipient is delivered",
    );
    // A lease of the killed process is taken over only after it expired.
    const finished = new Map(rows.map((r) => [r.id, r.finishedAt!]));
    for (const row of leased) {
      assert.ok(
        finished.get(row.id)!.getTime() >= row.leaseUntil!.getTime(),
        `row ${row.id} was retried before its lease expired`,
      );
    }

    // None lost at the peer; any duplicate was in flight at the kill.
    await new Promise((resolve) => setTimeout(resolve, peer.delayMs * 2));
    const counts = countByMessageId(peer.received);
    for (const message of queued)
      assert.ok(counts.has(message.messageId), `${message.messageId} never reached the peer`);
    assert.equal(counts.size, MESSAGES, "the peer got only queued messages");
    const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    console.log(
      `relay crash safety: killed with ${deliveredAtKill} delivered and ${leased.length} leased; ` +
        `${duplicates} duplicate deliveries after restart (bound: ${leased.length})`,
    );
    assert.ok(
      duplicates <= leased.length,
      `${duplicates} duplicates, but only ${leased.length} were in flight at the kill`,
    );

    second.child.kill("SIGTERM");
    assert.equal((await second.exited).code, 0, "the restarted gateway stops cleanly");
  },
);
