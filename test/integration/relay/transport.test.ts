// How the relay worker talks to remote hosts and when it wakes: STARTTLS
// when offered, EHLO with the service's name, AUTH at the smarthost, the
// per-domain connection limit, NOTIFY wake-up for new mail and the timer for
// retries (with a poll interval far too long to explain either).
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";

await useTestDatabase();
const { startSmtpPeer } = await import("../../helpers/smtp-peer.ts");
const { queueOutbound, startRelayWorker } = await import("../../helpers/outbound.ts");
const { waitUntil } = await import("../../helpers/wait.ts");
const { db } = await import("../../../lib/db.ts");

const statusOf = async (submissionId: string) =>
  (await db.outboundRecipient.findFirstOrThrow({ where: { submissionId } })).status;

test("STARTTLS is used when the peer offers it; EHLO names this service", async () => {
  const peer = await startSmtpPeer({ starttls: true });
  const { worker } = startRelayWorker({ RELAY_ROUTES: `tls.test=127.0.0.1:${peer.port}` });
  try {
    await queueOutbound([{ recipients: ["someone@tls.test"] }]);
    await peer.waitForMessages(1);
    assert.equal(peer.received[0]!.secure, true, "sent over TLS");
    assert.equal(peer.received[0]!.clientHostname, "mx.mail.test");
  } finally {
    await worker.stop();
  }
});

test("the smarthost gets every remote domain, with AUTH", async () => {
  const smarthost = await startSmtpPeer({ auth: { user: "relay-user", pass: "relay-secret" } });
  const { worker } = startRelayWorker({
    RELAYHOST: `127.0.0.1:${smarthost.port}`,
    RELAYHOST_USER: "relay-user",
    RELAYHOST_PASSWORD: "relay-secret",
  });
  try {
    const [queued] = await queueOutbound([{ recipients: ["a@first.example", "b@second.example"] }]);
    await waitUntil("delivery", async () => {
      const rows = await db.outboundRecipient.findMany({
        where: { submissionId: queued!.submissionId },
      });
      return rows.every((r) => r.status === "DELIVERED");
    });
    assert.deepEqual(smarthost.received.flatMap((m) => m.rcptTo).sort(), [
      "a@first.example",
      "b@second.example",
    ]);
    assert.ok(smarthost.received.every((m) => m.user === "relay-user"));
  } finally {
    await worker.stop();
  }
});

test("a smarthost refusing our credentials means deferral, not loss", async () => {
  const smarthost = await startSmtpPeer({ auth: { user: "relay-user", pass: "relay-secret" } });
  const { worker } = startRelayWorker({
    RELAYHOST: `127.0.0.1:${smarthost.port}`,
    RELAYHOST_USER: "relay-user",
    RELAYHOST_PASSWORD: "wrong",
  });
  try {
    const [queued] = await queueOutbound([{ recipients: ["c@third.example"] }]);
    const row = await waitUntil("deferral", async () => {
      const r = await db.outboundRecipient.findFirstOrThrow({
        where: { submissionId: queued!.submissionId },
      });
      return r.status !== "QUEUED" && r;
    });
    assert.equal(row.status, "DEFERRED", row.lastReply ?? "");
    assert.equal(smarthost.received.length, 0);
  } finally {
    await worker.stop();
    await db.outboundRecipient.updateMany({
      where: { status: "DEFERRED" },
      data: { status: "CANCELLED" },
    });
  }
});

test("no more connections to a domain than RELAY_CONCURRENCY_PER_DOMAIN", async () => {
  const peer = await startSmtpPeer();
  peer.delayMs = 50;
  const { worker } = startRelayWorker({
    RELAY_ROUTES: `limited.test=127.0.0.1:${peer.port}`,
    RELAY_CONCURRENCY_PER_DOMAIN: "2",
  });
  try {
    await queueOutbound(
      Array.from({ length: 20 }, (_, i) => ({ recipients: [`user${i}@limited.test`] })),
    );
    await peer.waitForMessages(20, 30_000);
    assert.equal(peer.maxOpenConnections, 2, "two connections used, never more");
  } finally {
    await worker.stop();
  }
});

test("new mail wakes an idle worker through NOTIFY; retries fall due by the timer", async () => {
  const peer = await startSmtpPeer();
  peer.behaviours.set("*", {
    kind: "reply",
    stage: "rcpt",
    code: 451,
    message: "4.7.1 Try again later",
  });
  // A poll interval far longer than the test: only NOTIFY and the next-due timer can act.
  const { worker } = startRelayWorker({
    RELAY_ROUTES: `wake.test=127.0.0.1:${peer.port}`,
    RELAY_POLL_SECONDS: "600",
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 500)); // the worker is asleep
    const queuedAt = Date.now();
    const [queued] = await queueOutbound([{ recipients: ["late@wake.test"] }]);
    await waitUntil(
      "the first attempt",
      async () => (await statusOf(queued!.submissionId)) === "DEFERRED",
    );
    assert.ok(Date.now() - queuedAt < 5_000, "tried within seconds of queueing");
    peer.behaviours.clear();
    // Retry base 1 s: the worker wakes for the retry without any NOTIFY.
    await waitUntil(
      "the retry",
      async () => (await statusOf(queued!.submissionId)) === "DELIVERED",
      10_000,
    );
  } finally {
    await worker.stop();
  }
});
