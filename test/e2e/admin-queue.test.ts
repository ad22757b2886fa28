// The outbound queue page in Chromium against a live relay worker and a
// scripted remote peer: retry now delivers a deferred message to the peer,
// bounce now gives the sender a DSN in their Inbox (and none for a null
// sender), bulk retry and delete act on exactly the filtered set; non-admins
// can neither see the page nor replay its action.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { useTestDatabase } from "../helpers/db.ts";
import { makeAccount } from "../helpers/accounts.ts";
import { buildMail, seriousAxeViolations } from "../helpers/mail.ts";
import { MX_HOSTNAME, startTestGateway } from "../helpers/smtp-harness.ts";
import { startSmtpPeer } from "../helpers/smtp-peer.ts";
import { startWebServer } from "../helpers/web.ts";
import { launchBrowser, newContext } from "../helpers/browser.ts";
import {
  assertActionAdminOnly,
  assertPageAdminOnly,
  interceptServerAction,
  signInAs,
  waitForHydration,
} from "../helpers/admin-access.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../lib/db.ts");
const { parseConfig } = await import("../../lib/config/index.ts");
const { submitMessage } = await import("../../lib/submission/submit-message.ts");
const { withTransaction } = await import("../../lib/db/sql.ts");
const { enqueueStatement } = await import("../../lib/queue/enqueue.ts");
const admin = await makeAccount("boss", { role: "ADMIN" });
const alice = await makeAccount("alice");
const peer = await startSmtpPeer();
// Everything is refused for now (4xx: deferred); retries are an hour apart,
// so only the admin's "Retry now" makes the relay try again.
peer.behaviours.set("*", { kind: "reply", stage: "rcpt", code: 451, message: "4.3.0 Try later" });
await startTestGateway({
  config: parseConfig({
    ...process.env,
    MAIL_DOMAIN: "mail.test",
    MAIL_HOSTNAME: MX_HOSTNAME,
    RELAY_ROUTES: `peer.test=127.0.0.1:${peer.port},bulk.test=127.0.0.1:${peer.port}`,
    RELAY_RETRY_BASE_SECONDS: "3600",
    RELAY_POLL_SECONDS: "0.2",
  }),
});
const [web, browser] = await Promise.all([
  startWebServer({ DATABASE_URL: databaseUrl }),
  launchBrowser(),
]);
const adminContext = await newContext(browser, web.url);
// The machine is shared: the first pages of a fresh server can be slow.
adminContext.setDefaultTimeout(45_000);
const page = await adminContext.newPage();
await signInAs(page, admin.address);
const userContext = await newContext(browser, web.url);
userContext.setDefaultTimeout(45_000);
await signInAs(await userContext.newPage(), alice.address);

async function sendFromAlice(to: string[], subject: string) {
  await submitMessage({
    accountId: alice.id,
    recipients: to,
    raw: await buildMail({ from: alice.address, to: to.join(", "), subject, text: "Hello" }),
    via: { protocol: "webmail", clientIp: "127.0.0.1" },
  });
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const row = (recipient: string) => db.outboundRecipient.findFirstOrThrow({ where: { recipient } });
const deferred = (recipient: string, attempts = 1) =>
  until(`${recipient} deferred`, async () => {
    const r = await row(recipient);
    return r.status === "DEFERRED" && r.attempts >= attempts && r.leaseUntil === null && r;
  });

function queueRow(p: Page, recipient: string) {
  return p.getByTestId("queue-row").filter({ hasText: recipient });
}

test("retry now delivers a deferred message to the peer", async () => {
  await sendFromAlice(["x@peer.test"], "Retry me");
  const before = await deferred("x@peer.test");
  assert.match(before.lastReply ?? "", /451/);
  assert.ok(before.nextAttemptAt.getTime() > Date.now() + 30 * 60_000, "next try is an hour away");

  await page.goto("/admin/queue?domain=peer.test");

  await waitForHydration(page, ".queue-bulk button");
  const line = queueRow(page, "x@peer.test");
  await line.getByText("deferred").waitFor();
  await line.getByText(/451/).waitFor();
  assert.match((await line.textContent()) ?? "", /UTC/, "next attempt and creation are shown");

  // The same request from a non-admin (or nobody) changes nothing.
  const retry = await interceptServerAction(page, () =>
    line.getByRole("button", { name: "Retry now: x@peer.test" }).click(),
  );
  await assertActionAdminOnly(web.url, retry, userContext);
  assert.equal((await row("x@peer.test")).nextAttemptAt.getTime(), before.nextAttemptAt.getTime());

  peer.behaviours.delete("*");
  await page.goto("/admin/queue?domain=peer.test");
  await waitForHydration(page, ".queue-bulk button");
  await queueRow(page, "x@peer.test")
    .getByRole("button", { name: "Retry now: x@peer.test" })
    .click();
  await page.getByRole("status").filter({ hasText: "1 recipient retried." }).waitFor();
  await peer.waitForMessages(1);
  assert.deepEqual(peer.received[0]!.rcptTo, ["x@peer.test"]);
  await until("delivered", async () => (await row("x@peer.test")).status === "DELIVERED");
  const audit = await db.auditLog.findFirst({ where: { action: "queue.retry" } });
  assert.equal(audit?.actor, admin.address);
});

test("bounce now sends the sender a DSN, but never to a null sender", async () => {
  peer.behaviours.set("*", { kind: "reply", stage: "rcpt", code: 451, message: "4.3.0 Try later" });
  await sendFromAlice(["y@peer.test"], "Bounce me");
  await deferred("y@peer.test");
  // A bounce on its way out (null reverse-path) that is stuck as well.
  const source = (await row("y@peer.test")).sourceSha256;
  await withTransaction(async (tx) => {
    await tx.query(
      enqueueStatement({
        accountId: null,
        sourceSha256: source,
        recipients: [{ recipient: "z@peer.test", mailFrom: "" }],
        notBefore: new Date(),
        lifetimeSeconds: 86_400,
      }).toQuery(),
    );
  });
  await deferred("z@peer.test");

  await page.goto("/admin/queue?q=peer.test&status=deferred");

  await waitForHydration(page, ".queue-bulk button");
  page.once("dialog", (d) => void d.accept());
  await queueRow(page, "y@peer.test")
    .getByRole("button", { name: "Bounce now: y@peer.test" })
    .click();
  await page.getByRole("status").filter({ hasText: "1 recipient bounced." }).waitFor();
  assert.equal((await row("y@peer.test")).status, "BOUNCED");
  const dsn = await until("the DSN", () =>
    db.message.findFirst({
      where: { accountId: alice.id, mailbox: { specialUse: "INBOX" } },
      include: { source: { select: { raw: true } } },
    }),
  );
  const raw = Buffer.from(dsn.source.raw).toString();
  assert.match(raw, /^From: .*MAILER-DAEMON@/im);
  assert.match(raw, /Final-Recipient: rfc822; ?y@peer\.test/i);
  assert.match(raw, /Action: failed/i);

  const messagesBefore = await db.message.count();
  page.once("dialog", (d) => void d.accept());
  await page.reload();
  await waitForHydration(page, ".queue-bulk button");
  await queueRow(page, "z@peer.test")
    .getByRole("button", { name: "Bounce now: z@peer.test" })
    .click();
  await page.getByRole("status").filter({ hasText: "1 recipient bounced." }).waitFor();
  assert.equal((await row("z@peer.test")).status, "BOUNCED");
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await db.message.count(), messagesBefore, "no report for a null sender");
  assert.equal(
    await db.outboundRecipient.count({ where: { mailFrom: "", recipient: alice.address } }),
    0,
  );
});

test("bulk retry and delete act on the filtered set only", async () => {
  const bulk = ["b1@bulk.test", "b2@bulk.test", "b3@bulk.test"];
  await sendFromAlice(bulk, "Bulk");
  await sendFromAlice(["keep@peer.test"], "Keep");
  for (const r of [...bulk, "keep@peer.test"]) await deferred(r);

  await page.goto("/admin/queue?domain=bulk.test&status=deferred");

  await waitForHydration(page, ".queue-bulk button");
  await page.getByText("3 recipients match.").waitFor();
  await page.getByRole("button", { name: "Retry now (all matching)" }).click();
  await page.getByRole("status").filter({ hasText: "3 recipients retried." }).waitFor();
  for (const r of bulk) await deferred(r, 2);
  assert.equal((await row("keep@peer.test")).attempts, 1, "outside the filter: not retried");

  await page.reload();

  await waitForHydration(page, ".queue-bulk button");
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Delete (all matching)" }).click();
  await page.getByRole("status").filter({ hasText: "3 recipients deleted." }).waitFor();
  for (const r of bulk) assert.equal((await row(r)).status, "CANCELLED");
  assert.equal((await row("keep@peer.test")).status, "DEFERRED");

  // Selected rows: delete only the one ticked.
  await page.goto("/admin/queue?domain=peer.test&status=deferred");
  await waitForHydration(page, ".queue-bulk button");
  await page.getByLabel("Select keep@peer.test").check();
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Delete (selected)" }).click();
  await page.getByRole("status").filter({ hasText: "1 recipient deleted." }).waitFor();
  assert.equal((await row("keep@peer.test")).status, "CANCELLED");
});

test("the queue page is admin-only (and accessible to admins)", async () => {
  await assertPageAdminOnly(web.url, "/admin/queue", userContext);
  await page.goto("/admin/queue");
  await waitForHydration(page, ".queue-bulk button");
  await queueRow(page, "x@peer.test").waitFor();
  assert.deepEqual(await seriousAxeViolations(page), []);
});
