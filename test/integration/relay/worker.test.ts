// The relay worker against scriptable loopback peers: delivery, retries after
// 4xx, bounces after 5xx, expiry, delay warnings, dropped connections, dead
// hosts, connection reuse, MX routing, two workers on one queue, and reports
// owed by a worker that died before sending them.
import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { startSmtpPeer } from "../../helpers/smtp-peer.ts";
import { getFreePort } from "../../helpers/net.ts";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { createStaticResolver } = await import("../../../lib/dns/resolver.ts");
const { queueOutbound, startRelayWorker } = await import("../../helpers/outbound.ts");
const { waitUntil: waitFor } = await import("../../helpers/wait.ts");
const { makeAccount } = await import("../../helpers/accounts.ts");
const { deliverOwedReports } = await import("../../../lib/queue/reports.ts");
type SenderReport = import("../../../lib/queue/results.ts").SenderReport;

const peer = await startSmtpPeer();
const deadPort = await getFreePort();

const resolver = createStaticResolver({
  "mx-routed.test": { MX: [{ exchange: "mx1.mx-routed.test", priority: 10 }] },
  "mx1.mx-routed.test": { A: ["127.0.0.1"] },
  "nullmx.test": { MX: [{ exchange: "", priority: 0 }] },
});

function startWorker(
  options: {
    extra?: Record<string, string>;
    reports?: SenderReport[];
    deliverOwedReports?: boolean;
  } = {},
) {
  return startRelayWorker(
    {
      RELAY_ROUTES: `peer.test=127.0.0.1:${peer.port},dead.test=127.0.0.1:${deadPort}`,
      RELAY_REMOTE_PORT: String(peer.port),
      ...options.extra,
    },
    { resolver, reports: options.reports, deliverOwedReports: options.deliverOwedReports },
  );
}

/** Scripts the peer to answer `code message` to one address (or "*") at RCPT, or at end of DATA. */
function peerReplies(
  address: string,
  code: number,
  message: string,
  stage: "rcpt" | "data" = "rcpt",
) {
  peer.behaviours.clear();
  peer.behaviours.set(address, { kind: "reply", stage, code, message });
}

async function queueMessage(
  recipients: string[],
  options: { mailFrom?: string; lifetimeSeconds?: number } = {},
) {
  const [queued] = await queueOutbound([{ recipients, ...options }]);
  return queued!.submissionId;
}

async function rowsOf(submissionId: string) {
  return db.outboundRecipient.findMany({ where: { submissionId }, orderBy: { recipient: "asc" } });
}

const settled = (submissionId: string, count: number) =>
  waitFor(`${count} settled rows`, async () => {
    const rows = await rowsOf(submissionId);
    return (
      rows.filter((r) => r.status === "DELIVERED" || r.status === "BOUNCED").length === count &&
      rows
    );
  });

test("all recipients at one domain get one message in one transaction", async () => {
  peer.behaviours.clear();
  const before = peer.received.length;
  const { worker } = startWorker();
  try {
    const id = await queueMessage(["a@peer.test", "b@peer.test", "c@peer.test"]);
    const rows = await settled(id, 3);
    assert.ok(
      rows.every(
        (r) => r.status === "DELIVERED" && r.attempts === 1 && /^250 /.test(r.lastReply ?? ""),
      ),
    );
    const got = peer.received.slice(before);
    assert.equal(got.length, 1);
    assert.deepEqual(got[0]!.rcptTo.sort(), ["a@peer.test", "b@peer.test", "c@peer.test"]);
    assert.equal(got[0]!.mailFrom, "sender@mail.test");
  } finally {
    await worker.stop();
  }
});

test("a 4xx is retried on schedule until the peer accepts", async () => {
  peerReplies("later@peer.test", 451, "4.7.1 Greylisted, try later");
  const { worker } = startWorker();
  try {
    const id = await queueMessage(["later@peer.test"]);
    const deferred = await waitFor("deferral", async () => {
      const [row] = await rowsOf(id);
      return row?.status === "DEFERRED" && row;
    });
    assert.equal(deferred.attempts, 1);
    assert.match(deferred.lastReply ?? "", /451 4\.7\.1 Greylisted/);
    assert.ok(deferred.nextAttemptAt.getTime() > Date.now() - 200, "next attempt is in the future");
    peer.behaviours.delete("later@peer.test");
    const [done] = await settled(id, 1);
    assert.equal(done!.status, "DELIVERED");
    assert.ok(done!.attempts >= 2);
  } finally {
    await worker.stop();
  }
});

test("a 5xx bounces at once and the sender is owed a report", async () => {
  peerReplies("gone@peer.test", 550, "5.1.1 No such user");
  const { worker, reports } = startWorker();
  try {
    const id = await queueMessage(["gone@peer.test", "here@peer.test"]);
    const rows = await settled(id, 2);
    assert.deepEqual(
      rows.map((r) => [r.recipient, r.status]),
      [
        ["gone@peer.test", "BOUNCED"],
        ["here@peer.test", "DELIVERED"],
      ],
    );
    await waitFor("report", async () => reports.length > 0);
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.mailFrom, "sender@mail.test");
    assert.deepEqual(
      reports[0]!.recipients.map((r) => [r.recipient, r.action, r.status]),
      [["gone@peer.test", "failed", "5.1.1"]],
    );
  } finally {
    await worker.stop();
  }
});

test("a remote reply holding a NUL is recorded (without it) and the bounce reported", async () => {
  // A hostile or broken server's words end up in lastReply (text) and the
  // report: a NUL there must not make recording the outcome fail. smtp-server
  // scrubs its replies, so this peer is a bare socket.
  const server = net.createServer((socket) => {
    socket.write("220 nul.test ESMTP\r\n");
    let buffer = "";
    socket.on("data", (chunk) => {
      buffer += chunk.toString("latin1");
      for (let lf = buffer.indexOf("\n"); lf !== -1; lf = buffer.indexOf("\n")) {
        const verb = buffer.slice(0, 4).toUpperCase();
        buffer = buffer.slice(lf + 1);
        if (verb === "EHLO" || verb === "HELO") socket.write("250 nul.test\r\n");
        else if (verb === "MAIL") socket.write("250 2.1.0 Ok\r\n");
        else if (verb === "RCPT") socket.write("550 5.1.1 No\0such user\r\n");
        else if (verb === "QUIT") socket.end("221 Bye\r\n");
        else socket.write("250 Ok\r\n");
      }
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const { worker, reports } = startWorker({
    extra: { RELAY_ROUTES: `nul.test=127.0.0.1:${port}` },
  });
  try {
    const id = await queueMessage(["someone@nul.test"]);
    const [row] = await settled(id, 1);
    assert.equal(row!.status, "BOUNCED");
    assert.match(row!.lastReply ?? "", /^550 5\.1\.1 Nosuch user/);
    await waitFor("the report", async () => reports.length > 0);
    assert.match(JSON.stringify(reports), /Nosuch user/);
  } finally {
    await worker.stop();
    server.close();
  }
});

test("a report owed by a worker that died before sending it is sent by another instance", async () => {
  peerReplies("gone@peer.test", 550, "5.1.1 No such user");
  const sender = await makeAccount("owed-report");
  // This worker records the bounce and dies before sending the report.
  const first = startWorker();
  let id: string;
  try {
    id = await queueMessage(["gone@peer.test"], { mailFrom: sender.address });
    await settled(id, 1);
    await waitFor("report", async () => first.reports.length > 0);
  } finally {
    await first.worker.stop();
  }
  const owed = await db.owedReport.findMany({ where: { submissionId: id } });
  assert.equal(owed.length, 1, "the report is kept with the outcome");
  // While the dead worker's lease lasts, no other instance sends it.
  assert.equal(await deliverOwedReports("another-instance", () => {}), 0);
  await db.owedReport.updateMany({
    where: { submissionId: id },
    data: { leaseUntil: new Date(Date.now() - 1000) },
  });
  const inbox = () =>
    db.message.findMany({ where: { accountId: sender.id }, include: { source: true } });
  const second = startWorker({ deliverOwedReports: true });
  try {
    const [report] = await waitFor("the report in the sender's Inbox", async () => {
      const rows = await inbox();
      return rows.length > 0 && rows;
    });
    const raw = Buffer.from(report!.source.raw).toString("latin1");
    assert.match(raw, /report-type=delivery-status/);
    assert.match(raw, /Final-Recipient: rfc822; ?gone@peer\.test/i);
    await waitFor(
      "the owed row gone",
      async () => (await db.owedReport.count({ where: { submissionId: id } })) === 0,
    );
    // Sent once: later passes find nothing.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await inbox()).length, 1);
  } finally {
    await second.worker.stop();
    peer.behaviours.clear();
  }
});

test("a rejection at end of DATA bounces every recipient of that transaction", async () => {
  peerReplies("spamtrap@peer.test", 554, "5.7.1 Message refused", "data");
  const { worker } = startWorker();
  try {
    const id = await queueMessage(["spamtrap@peer.test"]);
    const [row] = await settled(id, 1);
    assert.equal(row!.status, "BOUNCED");
    assert.match(row!.lastReply ?? "", /554 5\.7\.1/);
  } finally {
    await worker.stop();
  }
});

test("bounces never produce a report (no bounce for a bounce)", async () => {
  peerReplies("*", 550, "5.1.1 No such user");
  const { worker, reports } = startWorker();
  try {
    const id = await queueMessage(["nobody@peer.test"], { mailFrom: "" });
    await settled(id, 1);
    assert.equal(peer.received.filter((m) => m.mailFrom === "").length, 0);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(reports.length, 0);
  } finally {
    await worker.stop();
    peer.behaviours.clear();
  }
});

test("a message past its lifetime bounces as expired; a long delay warns once", async () => {
  peerReplies("*", 452, "4.2.2 Mailbox full");
  const reports: SenderReport[] = [];
  const { worker } = startWorker({ extra: { RELAY_DELAY_WARNING_SECONDS: "0.001" }, reports });
  try {
    const slow = await queueMessage(["slow@peer.test"]);
    await waitFor("second deferral", async () => {
      const [row] = await rowsOf(slow);
      return row && row.attempts >= 2 && row;
    });
    const delays = reports.filter((r) => r.recipients[0]!.action === "delayed");
    assert.equal(delays.length, 1, "one delay warning, not one per attempt");
    assert.equal(delays[0]!.recipients[0]!.status, "4.2.2");

    const expiring = await queueMessage(["late@peer.test"], { lifetimeSeconds: 0 });
    const [row] = await settled(expiring, 1);
    assert.equal(row!.status, "BOUNCED");
    assert.match(row!.lastReply ?? "", /expired/);
    await waitFor("expiry report", async () =>
      reports.some((r) => r.recipients[0]!.status === "4.4.7"),
    );
  } finally {
    await worker.stop();
    peer.behaviours.clear();
    await db.outboundRecipient.updateMany({
      where: { status: "DEFERRED" },
      data: { status: "CANCELLED" },
    });
  }
});

test("a peer that drops the connection mid-DATA, or is down, means deferral", async () => {
  peer.behaviours.clear();
  peer.behaviours.set("drop@peer.test", { kind: "drop-mid-data" });
  const { worker } = startWorker();
  try {
    const dropped = await queueMessage(["drop@peer.test"]);
    const down = await queueMessage(["someone@dead.test"]);
    for (const id of [dropped, down]) {
      const row = await waitFor("deferral", async () => {
        const [r] = await rowsOf(id);
        return r?.status === "DEFERRED" && r;
      });
      assert.match(row.lastReply ?? "", /^4/);
    }
    assert.equal(peer.received.filter((m) => m.rcptTo.includes("drop@peer.test")).length, 0);
  } finally {
    await worker.stop();
    peer.behaviours.clear();
    await db.outboundRecipient.updateMany({
      where: { status: "DEFERRED" },
      data: { status: "CANCELLED" },
    });
  }
});

test("several messages to one host reuse connections", async () => {
  peer.behaviours.clear();
  const before = new Set(peer.connections);
  const { worker } = startWorker({ extra: { RELAY_CONCURRENCY_PER_DOMAIN: "1" } });
  try {
    const ids = [];
    for (let i = 0; i < 10; i++) ids.push(await queueMessage([`reuse${i}@peer.test`]));
    for (const id of ids) await settled(id, 1);
    const fresh = [...peer.connections].filter((c) => !before.has(c));
    assert.ok(fresh.length <= 2, `10 messages took ${fresh.length} connections`);
  } finally {
    await worker.stop();
  }
});

test("MX routing through the resolver; null MX bounces at once", async () => {
  peer.behaviours.clear();
  const { worker } = startWorker({ extra: { RELAY_ROUTES: "" } });
  try {
    const routed = await queueMessage(["user@mx-routed.test"]);
    const [row] = await settled(routed, 1);
    assert.equal(row!.status, "DELIVERED");
    assert.ok(peer.received.some((m) => m.rcptTo.includes("user@mx-routed.test")));
    const nullMx = await queueMessage(["user@nullmx.test"]);
    const [bounced] = await settled(nullMx, 1);
    assert.equal(bounced!.status, "BOUNCED");
    assert.match(bounced!.lastReply ?? "", /^556 5\.1\.10/);
  } finally {
    await worker.stop();
  }
});

test("two workers on one queue deliver each message exactly once", async () => {
  peer.behaviours.clear();
  const before = peer.received.length;
  const ids: string[] = [];
  for (let i = 0; i < 60; i++) ids.push(await queueMessage([`twice${i}@peer.test`]));
  const a = startWorker();
  const b = startWorker();
  try {
    for (const id of ids) await settled(id, 1);
    const got = peer.received.slice(before).flatMap((m) => m.rcptTo);
    assert.equal(got.length, 60);
    assert.equal(new Set(got).size, 60, "no recipient got the message twice");
    const owners = await db.outboundRecipient.count({
      where: { submissionId: { in: ids }, status: "DELIVERED" },
    });
    assert.equal(owners, 60);
  } finally {
    await Promise.all([a.worker.stop(), b.worker.stop()]);
  }
});

test("a lease left by a dead worker expires and another worker takes the row", async () => {
  peer.behaviours.clear();
  const id = await queueMessage(["orphan@peer.test"]);
  // A worker that claimed the row and died: its lease ran out a moment ago.
  await db.outboundRecipient.updateMany({
    where: { submissionId: id },
    data: { leaseOwner: "dead-instance", leaseUntil: new Date(Date.now() - 1000) },
  });
  const { worker } = startWorker();
  try {
    const [row] = await settled(id, 1);
    assert.equal(row!.status, "DELIVERED");
  } finally {
    await worker.stop();
  }
});
