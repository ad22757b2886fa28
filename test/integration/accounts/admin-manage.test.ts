// The rules behind the admin dashboard, against real Postgres: deleting an
// account frees exactly the sources nothing else uses and never one a
// concurrent delivery is using; an admin cannot lock themselves out;
// service settings override the environment and are validated; a domain
// with accounts cannot be removed; DNS records follow the domain's key.
import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { buildMail, deliverRaw } from "../../helpers/mail.ts";

const databaseUrl = await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const manage = await import("../../../lib/accounts/manage.ts");
const domains = await import("../../../lib/accounts/manage-domains.ts");
const settings = await import("../../../lib/accounts/settings.ts");
const { storeDelivery } = await import("../../../lib/store/deliver.ts");
const { parseMessage } = await import("../../../lib/mime/parse-message.ts");
const { createAccount } = await import("../../../lib/accounts/create-account.ts");
const { chargeSendLimits } = await import("../../../lib/submission/send-limits.ts");
const { isUserError } = await import("../../../lib/errors.ts");

async function refused(work: Promise<unknown>, code: string, message?: RegExp) {
  await assert.rejects(work, (error: unknown) => {
    assert.ok(isUserError(error), String(error));
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  });
}

const sourceExists = async (sha256: string) =>
  (await db.messageSource.count({ where: { sha256 } })) === 1;

test("deleting an account frees the sources only it used, in one transaction", async () => {
  const victim = await makeAccount("victim");
  const other = await makeAccount("other");
  const [own] = await deliverRaw([victim.id], await buildMail({ subject: "only mine" }));
  const [shared] = await deliverRaw(
    [victim.id, other.id],
    await buildMail({ subject: "shared with other" }),
  );
  // A source the queue still needs (the victim sent it to a remote recipient).
  const queuedRaw = await buildMail({ subject: "queued out" });
  const [queued] = await storeDelivery({
    receivedAt: new Date(),
    outboundAccountId: victim.id,
    sources: [
      {
        bytes: { kind: "memory", prefix: Buffer.alloc(0), body: queuedRaw },
        parsed: await parseMessage(queuedRaw),
        accountIds: [victim.id],
        outbound: [{ recipient: "far@remote.test", mailFrom: victim.address }],
      },
    ],
  });
  const hashes = await db.message.findMany({
    where: { accountId: victim.id },
    select: { sourceSha256: true, id: true },
  });
  const shaOf = (id: string) => hashes.find((h) => h.id === id)!.sourceSha256;

  const deleted = await manage.deleteAccount(victim.address);
  assert.deepEqual(deleted, { address: victim.address, messages: 3, freedSources: 1 });
  assert.equal(await sourceExists(shaOf(own!.messageId)), false);
  assert.equal(await sourceExists(shaOf(shared!.messageId)), true);
  assert.equal(await sourceExists(shaOf(queued!.messageId)), true);
  assert.equal(await db.account.count({ where: { id: victim.id } }), 0);
  assert.equal(await db.message.count({ where: { accountId: victim.id } }), 0);
  assert.equal(await db.mailbox.count({ where: { accountId: victim.id } }), 0);
  assert.equal(await db.thread.count({ where: { accountId: victim.id } }), 0);
  assert.equal(await db.message.count({ where: { accountId: other.id } }), 1);
  assert.equal(
    await db.outboundRecipient.count({ where: { sourceSha256: shaOf(queued!.messageId) } }),
    1,
  );
});

test("a source that a concurrent delivery is referencing is kept, and neither side fails", async () => {
  const victim = await makeAccount("victim2");
  const [copy] = await deliverRaw([victim.id], await buildMail({ subject: "racing" }));
  const { sourceSha256 } = await db.message.findUniqueOrThrow({
    where: { accountId_id: { accountId: victim.id, id: copy!.messageId } },
  });
  // Another delivery's transaction, between inserting its Message row and
  // committing: its foreign key check holds FOR KEY SHARE on the source.
  const delivery = new pg.Client({ connectionString: databaseUrl });
  await delivery.connect();
  try {
    await delivery.query("BEGIN");
    await delivery.query(`SELECT 1 FROM "MessageSource" WHERE "sha256" = $1 FOR KEY SHARE`, [
      sourceSha256,
    ]);
    const deleted = await manage.deleteAccount(victim.address);
    assert.equal(deleted.freedSources, 0);
    await delivery.query("COMMIT");
  } finally {
    await delivery.end();
  }
  assert.equal(await sourceExists(sourceSha256), true);
});

test("an admin cannot disable, demote or delete themselves; others can", async () => {
  const admin = await makeAccount("boss", { role: "ADMIN" });
  const actor = { id: admin.id };
  await refused(
    manage.setAccountDisabled(admin.address, true, actor),
    "forbidden",
    /disable your own/,
  );
  await refused(manage.setAccountRole(admin.address, "USER", actor), "forbidden", /own admin role/);
  await refused(manage.deleteAccount(admin.address, actor), "forbidden", /delete your own/);
  const row = await db.account.findUniqueOrThrow({ where: { id: admin.id } });
  assert.equal(row.role, "ADMIN");
  assert.equal(row.disabled, false);
  // Another admin (or the command line) may.
  const second = await makeAccount("boss2", { role: "ADMIN" });
  await manage.setAccountRole(admin.address, "USER", { id: second.id });
  assert.equal((await db.account.findUniqueOrThrow({ where: { id: admin.id } })).role, "USER");
});

test("password resets follow the policy and end sessions; quotas are bounded", async () => {
  const user = await makeAccount("resetme");
  await refused(manage.setAccountPassword(user.address, "short"), "weak_password");
  await refused(manage.setAccountPassword(user.address, "password123"), "weak_password");
  const before = await db.account.findUniqueOrThrow({ where: { id: user.id } });
  await manage.setAccountPassword(user.address, "a much better passphrase");
  const after = await db.account.findUniqueOrThrow({ where: { id: user.id } });
  assert.equal(after.sessionVersion, before.sessionVersion + 1);
  await refused(manage.setAccountQuota(user.address, 10n), "invalid_input");
  await manage.setAccountQuota(user.address, 50n * 1024n * 1024n);
  assert.equal(
    (await db.account.findUniqueOrThrow({ where: { id: user.id } })).quotaBytes,
    50n * 1024n * 1024n,
  );
});

test("settings override the environment defaults, validate, and reset to them", async () => {
  const defaults = await settings.getServiceSettings();
  assert.deepEqual(defaults.stored, {});
  await assert.rejects(settings.updateServiceSettings({ maxMessageBytes: 10 }));
  await settings.updateServiceSettings({
    defaultQuotaBytes: 20 * 1024 * 1024,
    sendMessagesPerHour: 2,
    maxMessageBytes: 512 * 1024,
  });
  const now = await settings.getServiceSettings();
  assert.equal(now.defaultQuotaBytes, 20n * 1024n * 1024n);
  assert.equal(now.maxMessageBytes, 512 * 1024);
  assert.equal(now.sendLimits.messagesPerHour, 2);
  assert.equal(now.sendLimits.recipientsPerDay, defaults.sendLimits.recipientsPerDay);

  // New accounts get the default quota; sending is limited to 2 an hour.
  await makeAccount("quota-default");
  const created = await createAccount({
    localPart: "fresh",
    domain: "mail.test",
    displayName: "Fresh",
    password: "a much better passphrase",
  });
  const fresh = await db.account.findUniqueOrThrow({ where: { id: created.id } });
  assert.equal(fresh.quotaBytes, 20n * 1024n * 1024n);
  await chargeSendLimits(fresh.id, 1);
  await chargeSendLimits(fresh.id, 1);
  await refused(chargeSendLimits(fresh.id, 1), "throttled", /2 messages an hour/);

  await settings.updateServiceSettings({
    defaultQuotaBytes: null,
    sendMessagesPerHour: null,
    maxMessageBytes: null,
  });
  assert.deepEqual((await settings.getServiceSettings()).stored, {});
});

test("domains: added with a DKIM key, removal refused while used, DNS records", async () => {
  await refused(domains.addHostedDomain("not a domain"), "invalid_input");
  await domains.addHostedDomain("Example.ORG");
  await refused(domains.addHostedDomain("example.org"), "invalid_input", /hosted already/);
  const [row] = (await domains.listHostedDomains()).filter((d) => d.name === "example.org");
  assert.ok(row?.dkimSelector && row.dkimPublicKey);
  const records = domains.domainDnsRecords(row, "mx.mail.test");
  assert.deepEqual(
    records.map((r) => [r.type, r.name, r.value.slice(0, 20)]),
    [
      ["MX", "example.org", "10 mx.mail.test."],
      ["TXT", "example.org", "v=spf1 mx -all"],
      ["TXT", `${row.dkimSelector}._domainkey.example.org`, "v=DKIM1; k=rsa; p=MI"],
      ["TXT", "_dmarc.example.org", "v=DMARC1; p=quaranti"],
    ],
  );
  assert.match(records[3]!.value, /rua=mailto:postmaster@example\.org/);

  await makeAccount("someone", { domain: "example.org" });
  await refused(domains.setDomainCatchAll("example.org", "nobody"), "not_found");
  await domains.setDomainCatchAll("example.org", "someone");
  await refused(domains.removeHostedDomain("example.org"), "forbidden", /1 account/);
  await manage.deleteAccount("someone@example.org");
  await domains.removeHostedDomain("example.org");
  assert.equal(await db.domain.count({ where: { name: "example.org" } }), 0);
  await refused(domains.removeHostedDomain("mail.test"), "forbidden", /own domain/);
});
