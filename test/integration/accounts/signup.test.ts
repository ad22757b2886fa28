import assert from "node:assert/strict";
import { before, test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { assertUserError } from "../../helpers/user-error.ts";

await useTestDatabase();
const { signUp } = await import("../../../lib/accounts/signup.ts");
const { ensureHostedDomain } = await import("../../../lib/accounts/domains.ts");
const { setServiceSetting } = await import("../../../lib/accounts/settings.ts");
const { db } = await import("../../../lib/db.ts");

const good = {
  domain: "mail.test",
  displayName: "Alice",
  password: "correct horse battery staple",
};
let ipCounter = 0;
const freshIp = () => ({ ip: `192.0.2.${++ipCounter}` });

const refused = (promise: Promise<unknown>, code: string, field?: string) =>
  assertUserError(promise, code, { field });

before(async () => {
  await ensureHostedDomain("mail.test");
  await db.domain.create({ data: { name: "closed.test", hosted: true, signupEnabled: false } });
});

test("a new account gets its address and the six default folders", async () => {
  const account = await signUp({ ...good, localPart: "Alice.Smith" }, freshIp());
  assert.equal(account.address, "alice.smith@mail.test");
  const folders = await db.mailbox.findMany({
    where: { accountId: account.id },
    orderBy: { name: "asc" },
  });
  assert.deepEqual(
    folders.map((f) => [f.name, f.specialUse]),
    [
      ["Archive", "ARCHIVE"],
      ["Drafts", "DRAFTS"],
      ["Inbox", "INBOX"],
      ["Junk", "JUNK"],
      ["Sent", "SENT"],
      ["Trash", "TRASH"],
    ],
  );
  const stored = await db.account.findUniqueOrThrow({ where: { id: account.id } });
  assert.match(stored.passwordHash, /^\$argon2id\$/);
  assert.ok(!stored.passwordHash.includes(good.password));
});

test("taken, reserved and invalid addresses are refused with the field", async () => {
  await signUp({ ...good, localPart: "bob" }, freshIp());
  await refused(signUp({ ...good, localPart: "BOB" }, freshIp()), "address_taken", "localPart");
  for (const name of [
    "postmaster",
    "abuse",
    "admin",
    "root",
    "mailer-daemon",
    "no-reply",
    "support",
  ]) {
    await refused(signUp({ ...good, localPart: name }, freshIp()), "address_reserved", "localPart");
  }
  for (const name of ["", ".bob", "bo..b", "bob smith", "bob+x", "x".repeat(65), "bøb"]) {
    await refused(signUp({ ...good, localPart: name }, freshIp()), "invalid_input", "localPart");
  }
});

test("an alias address cannot be taken by signup", async () => {
  const domain = await db.domain.findUniqueOrThrow({ where: { name: "mail.test" } });
  await db.alias.create({ data: { address: "team@mail.test", domainId: domain.id } });
  await refused(signUp({ ...good, localPart: "team" }, freshIp()), "address_taken", "localPart");
});

test("weak passwords are refused", async () => {
  await refused(
    signUp({ ...good, localPart: "carol", password: "short" }, freshIp()),
    "weak_password",
    "password",
  );
  await refused(
    signUp({ ...good, localPart: "carol", password: "password123" }, freshIp()),
    "weak_password",
    "password",
  );
  await refused(
    signUp({ ...good, localPart: "carol", password: "1234567890" }, freshIp()),
    "weak_password",
    "password",
  );
});

test("domains not hosted or closed to signup are refused", async () => {
  await refused(
    signUp({ ...good, localPart: "dave", domain: "elsewhere.test" }, freshIp()),
    "domain_not_hosted",
    "domain",
  );
  await refused(
    signUp({ ...good, localPart: "dave", domain: "closed.test" }, freshIp()),
    "signup_closed",
    "domain",
  );
  await setServiceSetting("signupMode", "closed");
  await refused(signUp({ ...good, localPart: "dave" }, freshIp()), "signup_closed");
  await setServiceSetting("signupMode", "open");
  await signUp({ ...good, localPart: "dave" }, freshIp());
});

test("signup is limited to five accounts per client address per hour", async () => {
  const ip = { ip: "198.51.100.7" };
  for (let i = 0; i < 5; i++) await signUp({ ...good, localPart: `user${i}` }, ip);
  await refused(signUp({ ...good, localPart: "user5" }, ip), "throttled");
  // Another client is not affected.
  await signUp({ ...good, localPart: "user5" }, freshIp());
});

test("an IPv6 client cannot dodge the signup limit by rotating addresses inside its /64", async () => {
  for (let i = 0; i < 5; i++) {
    await signUp({ ...good, localPart: `six${i}` }, { ip: `2001:db8:7:7::${i + 1}` });
  }
  await refused(
    signUp({ ...good, localPart: "six5" }, { ip: "2001:db8:7:7:ffff::9" }),
    "throttled",
  );
  // The next /64 is another client.
  await signUp({ ...good, localPart: "six5" }, { ip: "2001:db8:7:8::1" });
});
