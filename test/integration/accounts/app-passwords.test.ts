// App passwords against a real gateway and real mail clients (imapflow,
// Python's poplib, swaks): made once and stored hashed; accepted on IMAP,
// POP3 and SMTP submission whether or not two-step verification is on, never
// at the web sign-in; once two-step is on the account password is refused
// there with the reason in the reply text, and the refusal is counted by the
// sign-in throttle; revoking one ends the IMAP (IDLE) and POP3 sessions it
// opened and it signs in no more.
import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount, TEST_PASSWORD } from "../../helpers/accounts.ts";
import { parseConfig } from "../../../lib/config/index.ts";
import { MX_HOSTNAME, startTestGateway } from "../../helpers/smtp-harness.ts";
import { RawImapClient } from "../../helpers/imap.ts";
import { poplib, RawPop3Client } from "../../helpers/pop3.ts";
import { swaks } from "../../helpers/smtp-clients.ts";
import { ImapFlow } from "imapflow";

await useTestDatabase();
const { db } = await import("../../../lib/db.ts");
const { authenticate } = await import("../../../lib/accounts/authenticate.ts");
const appPasswords = await import("../../../lib/auth/app-passwords.ts");
const { UserError } = await import("../../../lib/errors.ts");

const gateway = await startTestGateway({
  relay: false,
  imapPort: 0,
  imapsPort: 0,
  pop3Port: 0,
  pop3TlsPort: 0,
  config: parseConfig({
    ...process.env,
    MAIL_DOMAIN: "mail.test",
    MAIL_HOSTNAME: MX_HOSTNAME,
    ALLOW_INSECURE_AUTH: "true",
  }),
});

const REASON = "Two-step verification is on: use an app password";

const imapflow = (user: string, pass: string) =>
  new ImapFlow({
    host: "127.0.0.1",
    port: gateway.imapPort!,
    secure: false,
    auth: { user, pass },
    tls: { rejectUnauthorized: false },
    logger: false,
  });

async function turnOnTwoStep(accountId: string) {
  await db.account.update({ where: { id: accountId }, data: { twoStepEnabledAt: new Date() } });
}

async function imapLogin(user: string, pass: string): Promise<string> {
  const client = await RawImapClient.connect(gateway.imapPort!);
  // Generous: a refused attempt delays the next one from the same pair (the throttle).
  const reply = await client.command(`LOGIN "${user}" "${pass}"`, undefined, 30_000);
  client.destroy();
  return reply.at(-1)!;
}

async function pop3Login(user: string, pass: string): Promise<string> {
  const { client } = await RawPop3Client.connect(gateway.pop3Port!);
  await client.command(`USER ${user}`);
  const reply = await client.command(`PASS ${pass}`);
  client.destroy();
  return reply;
}

const sendWithSwaks = (user: string, pass: string) =>
  swaks([
    "--server",
    `127.0.0.1:${gateway.submissionPort!}`,
    "--tls",
    "--auth",
    "PLAIN",
    "--auth-user",
    user,
    "--auth-password",
    pass,
    "--from",
    user,
    "--to",
    user,
    "--header",
    "Subject: from a phone",
    "--body",
    "Sent with an app password",
  ]);

const pairFailures = async (address: string) =>
  (await db.loginThrottle.findFirst({ where: { address, network: "127.0.0.1" } }))?.failures ?? 0;

test("an app password is shown once, kept only as a hash, and named; bad names are refused", async () => {
  const amy = await makeAccount("amy");
  const made = await appPasswords.createAppPassword(amy.id, "  Phone  ");
  assert.match(made.password, /^[a-z]{16}$/);
  assert.equal(made.name, "Phone");
  const row = await db.appPassword.findUniqueOrThrow({
    where: { accountId_id: { accountId: amy.id, id: made.id } },
  });
  assert.match(row.hash, /^\$argon2id\$/);
  assert.ok(!row.hash.includes(made.password));
  assert.equal(row.lookup, made.password.slice(0, 4));
  const listed = await appPasswords.listAppPasswords(amy.id);
  assert.deepEqual(Object.keys(listed[0]!).sort(), [
    "createdAt",
    "id",
    "lastUsedAt",
    "lastUsedIp",
    "lastUsedProtocol",
    "name",
  ]);
  for (const name of ["", "   ", "x".repeat(101), "line\r\nbreak"]) {
    await assert.rejects(
      appPasswords.createAppPassword(amy.id, name),
      (e: unknown) => e instanceof UserError && e.code === "invalid_input" && e.field === "name",
      JSON.stringify(name),
    );
  }
  assert.equal(appPasswords.formatAppPassword("abcdefghijklmnop"), "abcd efgh ijkl mnop");
});

test("another account cannot revoke, or sign in with, someone's app password", async () => {
  const ben = await makeAccount("ben");
  const eve = await makeAccount("eve");
  const made = await appPasswords.createAppPassword(ben.id, "Laptop");
  for (const id of [made.id, "not-a-uuid"]) {
    await assert.rejects(
      appPasswords.revokeAppPassword(eve.id, id),
      (e: unknown) => e instanceof UserError && e.code === "not_found",
    );
  }
  assert.equal((await appPasswords.listAppPasswords(ben.id)).length, 1);
  assert.match(await imapLogin(eve.address, made.password), /NO \[AUTHENTICATIONFAILED\]/);
});

test("two-step off: the account password and app passwords both sign in; the web never takes an app password", async () => {
  const cara = await makeAccount("cara");
  const made = await appPasswords.createAppPassword(cara.id, "Thunderbird");
  assert.match(await imapLogin(cara.address, TEST_PASSWORD), /^t\d+ OK /);
  // The grouped form people copy from the page works too.
  const grouped = appPasswords.formatAppPassword(made.password).toUpperCase();
  const client = imapflow(cara.address, grouped);
  await client.connect();
  await client.logout();
  const row = (await appPasswords.listAppPasswords(cara.id))[0]!;
  assert.ok(row.lastUsedAt, "last use recorded");
  assert.equal(row.lastUsedIp, "127.0.0.1");
  assert.equal(row.lastUsedProtocol, "imap");
  await assert.rejects(
    authenticate(cara.address, made.password, { ip: "198.51.100.4", protocol: "web" }),
    (e: unknown) => e instanceof UserError && e.code === "invalid_credentials",
  );
});

test("two-step on: IMAP, POP3 and SMTP refuse the account password with the reason, counted by the throttle", async () => {
  const dora = await makeAccount("dora");
  const pete = await makeAccount("pete");
  const sam = await makeAccount("sam");
  for (const account of [dora, pete, sam]) await turnOnTwoStep(account.id);

  assert.match(
    await imapLogin(dora.address, TEST_PASSWORD),
    new RegExp(`^t\\d+ NO \\[AUTHENTICATIONFAILED\\] ${REASON}$`),
  );
  assert.equal(await pop3Login(pete.address, TEST_PASSWORD), `-ERR [AUTH] ${REASON}`);
  const smtp = await sendWithSwaks(sam.address, TEST_PASSWORD);
  assert.notEqual(smtp.code, 0, smtp.output);
  assert.match(smtp.output, new RegExp(`<~\\* 535 5\\.7\\.8 ${REASON}`));

  for (const account of [dora, pete, sam]) {
    assert.ok((await pairFailures(account.address)) >= 1, `${account.address}: counted`);
    const events = await db.signInEvent.findMany({ where: { accountId: account.id } });
    assert.deepEqual(
      events.map((e) => e.outcome),
      ["FAILURE"],
    );
  }
  // The web sign-in still takes the account password (its second step is the web's own).
  const web = await authenticate(dora.address, TEST_PASSWORD, {
    ip: "198.51.100.5",
    protocol: "web",
  });
  assert.equal(web.appPasswordId, null);
});

test("two-step on: imapflow, poplib and swaks sign in with app passwords", async () => {
  const finn = await makeAccount("finn");
  await turnOnTwoStep(finn.id);
  const phone = await appPasswords.createAppPassword(finn.id, "Phone");

  const client = imapflow(finn.address, phone.password);
  await client.connect();
  const status = await client.status("INBOX", { messages: true });
  await client.logout();
  assert.ok(status);
  assert.equal(status.messages, 0);

  const sent = await sendWithSwaks(finn.address, phone.password);
  assert.equal(sent.code, 0, sent.output);
  assert.match(sent.output, /<~ {1,2}250 [0-9.]+ Message accepted </);

  const count = await poplib<number>(
    `
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=20)
p.user(sys.argv[2]); p.pass_(sys.argv[3])
n = p.stat()[0]
p.quit()
print(json.dumps(n))
`,
    [String(gateway.pop3Port!), finn.address, phone.password],
  );
  assert.equal(count, 1, "the message swaks sent to itself");
  const row = (await appPasswords.listAppPasswords(finn.id))[0]!;
  assert.equal(row.lastUsedProtocol, "pop3");
});

test("revoking an app password ends the IDLE session and the POP3 session it opened; it signs in no more", async () => {
  const gail = await makeAccount("gail");
  await turnOnTwoStep(gail.id);
  const tablet = await appPasswords.createAppPassword(gail.id, "Tablet");
  const laptop = await appPasswords.createAppPassword(gail.id, "Laptop");

  const idling = imapflow(gail.address, tablet.password);
  const other = imapflow(gail.address, laptop.password);
  await idling.connect();
  await other.connect();
  await idling.mailboxOpen("INBOX");
  await other.mailboxOpen("INBOX");
  const idle = idling.idle();
  const closed = once(idling, "close");
  const { client: pop3 } = await RawPop3Client.connect(gateway.pop3Port!);
  await pop3.command(`USER ${gail.address}`);
  assert.match(await pop3.command(`PASS ${tablet.password}`), /^\+OK /);

  await appPasswords.revokeAppPassword(gail.id, tablet.id);
  await closed;
  await idle.catch(() => {});
  await pop3.closedByServer();
  assert.ok(pop3.closed, "POP3 session ended");

  // The session signed in with the other app password goes on.
  const status = await other.status("INBOX", { messages: true });
  assert.ok(status);
  assert.equal(status.messages, 0);
  await other.logout();

  assert.match(await imapLogin(gail.address, tablet.password), /NO \[AUTHENTICATIONFAILED\]/);
  assert.deepEqual(
    (await appPasswords.listAppPasswords(gail.id)).map((p) => p.name),
    ["Laptop"],
  );
});
