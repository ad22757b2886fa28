// SRS end to end: mail to an alias that forwards outside leaves with an SRS
// sender in our domain (so SPF passes at the destination), a bounce sent to
// that sender goes back to the original sender, and forged SRS addresses
// are refused at RCPT.
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";

// Read by lib/config when the gateway first forwards.
process.env.SRS_SECRET = "srs test secret";
await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { parseConfig } = await import("../../../lib/config/index.ts");
const { makeAccount } = await import("../../helpers/accounts.ts");
const { startSmtpPeer } = await import("../../helpers/smtp-peer.ts");
const { startTestGateway, sendOnce, simpleMessage, MX_HOSTNAME } =
  await import("../../helpers/smtp-harness.ts");

const peer = await startSmtpPeer();
await makeAccount("owner");
const domain = await db.domain.findUniqueOrThrow({ where: { name: "mail.test" } });
await db.alias.create({
  data: {
    address: "fwd@mail.test",
    domainId: domain.id,
    targets: { create: [{ address: "friend@peer.test" }] },
  },
});
const gateway = await startTestGateway({
  config: parseConfig({
    ...process.env,
    MAIL_DOMAIN: "mail.test",
    MAIL_HOSTNAME: MX_HOSTNAME,
    DATA_DIR: await mkdtemp(path.join(tmpdir(), "mail-srs-")),
    RELAY_ROUTES: `peer.test=127.0.0.1:${peer.port},example.org=127.0.0.1:${peer.port}`,
    RELAY_POLL_SECONDS: "0.2",
  }),
});

test("a forward leaves with an SRS sender; a bounce to it reaches the original sender", async () => {
  const sent = await sendOnce(
    gateway.smtpPort,
    { from: "alice@example.org", to: ["fwd@mail.test"] },
    simpleMessage({ from: "alice@example.org", to: "fwd@mail.test", subject: "Forward me" }),
  );
  assert.equal(sent.final?.code, 250, sent.final?.text);
  await peer.waitForMessages(1);
  const forwarded = peer.received[0]!;
  assert.deepEqual(forwarded.rcptTo, ["friend@peer.test"]);
  assert.match(forwarded.mailFrom, /^SRS0=[^=]{4}=[A-Z2-7]{2}=example\.org=alice@mail\.test$/);

  // The destination bounces it to the SRS sender (lower-cased, as MTAs do).
  const bounced = await sendOnce(
    gateway.smtpPort,
    { from: "", to: [forwarded.mailFrom.toLowerCase()] },
    simpleMessage({
      from: "MAILER-DAEMON@peer.test",
      to: forwarded.mailFrom,
      subject: "Undelivered",
    }),
  );
  assert.equal(bounced.rcpt[0]!.code, 250, bounced.rcpt[0]!.text);
  assert.equal(bounced.final?.code, 250, bounced.final?.text);
  await peer.waitForMessages(2);
  const returned = peer.received[1]!;
  assert.deepEqual(returned.rcptTo, ["alice@example.org"]);
  assert.equal(returned.mailFrom, "", "a bounce stays a bounce");
});

test("forged or foreign SRS addresses are unknown users", async () => {
  const forged = await sendOnce(
    gateway.smtpPort,
    { from: "", to: ["SRS0=abcd=AA=example.org=victim@mail.test"] },
    simpleMessage(),
  );
  assert.equal(forged.rcpt[0]!.code, 550, forged.rcpt[0]!.text);
});
