// Invite-only signup against a real Postgres: codes stored only as hashes,
// one use per single-use code even when two signups race for it, expiry,
// revocation, domain restriction, and the open and closed modes unaffected.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, test } from "node:test";
import { adminCli as runAdminCli } from "../../helpers/admin-cli.ts";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount } from "../../helpers/accounts.ts";
import { assertUserError } from "../../helpers/user-error.ts";

const databaseUrl = await useTestDatabase();
const { signUp } = await import("../../../lib/accounts/signup.ts");
const invites = await import("../../../lib/accounts/invites.ts");
const { setServiceSetting } = await import("../../../lib/accounts/settings.ts");
const { loadConfig } = await import("../../../lib/config/index.ts");
const { db } = await import("../../../lib/db.ts");

const good = {
  domain: "mail.test",
  displayName: "Invited",
  password: "correct horse battery staple",
};
let ipCounter = 0;
const freshIp = () => ({ ip: `203.0.113.${++ipCounter}` });

const refused = (promise: Promise<unknown>, code: string, message?: RegExp) =>
  assertUserError(promise, code, { message });

let creator: { accountId: string; label: string };
const newInvite = (options: Parameters<typeof invites.createInvite>[0] = {}) =>
  invites.createInvite(options, creator);
const useCount = async (id: string) =>
  (await db.invite.findUniqueOrThrow({ where: { id } })).useCount;

before(async () => {
  const admin = await makeAccount("chief", { role: "ADMIN" });
  creator = { accountId: admin.id, label: admin.address };
  await db.domain.create({ data: { name: "team.test", hosted: true, signupEnabled: false } });
  await setServiceSetting("signupMode", "invite");
});

test("a code is random, URL-safe and at least 128 bits; only its SHA-256 is stored", async () => {
  const first = await newInvite();
  const second = await newInvite();
  assert.match(first.code, /^[A-Za-z0-9_-]{32,}$/);
  assert.ok(Buffer.from(first.code, "base64url").length >= 16);
  assert.notEqual(first.code, second.code);
  assert.equal(first.link, `${loadConfig().web.publicUrl}/signup?invite=${first.code}`);
  assert.equal(first.maxUses, 1);

  const row = await db.invite.findUniqueOrThrow({ where: { id: first.id } });
  assert.deepEqual(Buffer.from(row.codeHash), createHash("sha256").update(first.code).digest());
  // Nowhere in the row, in any form a column could hold it.
  const dumped = await db.$queryRaw<{ row: string }[]>`
    SELECT row_to_json(i)::text AS row FROM "Invite" i WHERE id = ${first.id}::uuid`;
  assert.ok(!dumped[0]!.row.includes(first.code));
  assert.ok(!dumped[0]!.row.includes(Buffer.from(first.code).toString("hex")));
  // Default expiry: 7 days.
  const days = (row.expiresAt.getTime() - row.createdAt.getTime()) / 86_400_000;
  assert.ok(Math.abs(days - 7) < 0.01, `expires after ${days} days`);
  assert.equal(row.createdById, creator.accountId);
});

test("invite mode: no code, a wrong code, then a good code once", async () => {
  await refused(signUp({ ...good, localPart: "nocode" }, freshIp()), "invite_required");
  await refused(
    signUp({ ...good, localPart: "badcode", invite: "not-a-real-code" }, freshIp()),
    "invite_invalid",
  );
  const invite = await newInvite();
  const account = await signUp(
    { ...good, localPart: "invited", invite: ` ${invite.code} ` },
    freshIp(),
  );
  assert.equal(account.address, "invited@mail.test");
  assert.equal(await useCount(invite.id), 1);
  await refused(
    signUp({ ...good, localPart: "again", invite: invite.code }, freshIp()),
    "invite_used",
    /already been used/,
  );
  assert.equal(await db.account.count({ where: { address: "again@mail.test" } }), 0);
});

test("two concurrent signups with one single-use code: exactly one account", async () => {
  const invite = await newInvite();
  const results = await Promise.allSettled([
    signUp({ ...good, localPart: "racer1", invite: invite.code }, freshIp()),
    signUp({ ...good, localPart: "racer2", invite: invite.code }, freshIp()),
  ]);
  const won = results.filter((r) => r.status === "fulfilled");
  const lost = results.filter((r) => r.status === "rejected");
  assert.equal(won.length, 1, JSON.stringify(results));
  await assertUserError(Promise.reject(lost[0]!.reason), "invite_used");
  assert.equal(await db.account.count({ where: { address: { startsWith: "racer" } } }), 1);
  assert.equal(await useCount(invite.id), 1);
});

test("the last use goes to one transaction: a second redeemer waits, then is refused", async () => {
  const invite = await newInvite();
  const domain = await db.domain.findUniqueOrThrow({ where: { name: "mail.test" } });
  let releaseFirst!: () => void;
  const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
  let firstRedeemed!: () => void;
  const redeemedInFirst = new Promise<void>((resolve) => (firstRedeemed = resolve));
  const first = db.$transaction(async (tx) => {
    await invites.redeemInvite(tx, invite.code, domain);
    firstRedeemed();
    await firstMayCommit;
  });
  await redeemedInFirst;
  let secondDone = false;
  const second = db
    .$transaction((tx) => invites.redeemInvite(tx, invite.code, domain))
    .finally(() => (secondDone = true));
  // The second blocks on the first's row lock rather than reading a stale count.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(secondDone, false);
  releaseFirst();
  await first;
  await refused(second, "invite_used");
  assert.equal(await useCount(invite.id), 1);
});

test("a code for several uses takes exactly that many concurrent signups", async () => {
  const invite = await newInvite({ maxUses: 3 });
  const results = await Promise.allSettled(
    [1, 2, 3, 4, 5].map((n) =>
      signUp({ ...good, localPart: `team${n}`, invite: invite.code }, freshIp()),
    ),
  );
  assert.equal(results.filter((r) => r.status === "fulfilled").length, 3);
  assert.equal(await useCount(invite.id), 3);
  const rows = await invites.listInvites();
  assert.equal(rows.find((r) => r.id === invite.id)?.status, "used");
});

test("a signup that fails for another reason does not use the invite up", async () => {
  const invite = await newInvite();
  await makeAccount("taken");
  await refused(
    signUp({ ...good, localPart: "taken", invite: invite.code }, freshIp()),
    "address_taken",
  );
  assert.equal(await useCount(invite.id), 0);
  await signUp({ ...good, localPart: "nottaken", invite: invite.code }, freshIp());
  assert.equal(await useCount(invite.id), 1);
});

test("an expired code is refused with its date; days set the expiry", async () => {
  const invite = await newInvite({ days: 30 });
  const row = await db.invite.findUniqueOrThrow({ where: { id: invite.id } });
  const days = (row.expiresAt.getTime() - row.createdAt.getTime()) / 86_400_000;
  assert.ok(Math.abs(days - 30) < 0.01, `expires after ${days} days`);
  await db.invite.update({
    where: { id: invite.id },
    data: { expiresAt: new Date(Date.now() - 60_000) },
  });
  await refused(
    signUp({ ...good, localPart: "late", invite: invite.code }, freshIp()),
    "invite_expired",
    /expired on \d{4}-\d\d-\d\d/,
  );
  // Also when the pre-check is skipped: the redeem itself checks.
  const domain = await db.domain.findUniqueOrThrow({ where: { name: "mail.test" } });
  await refused(
    db.$transaction((tx) => invites.redeemInvite(tx, invite.code, domain)),
    "invite_expired",
  );
  assert.equal(await useCount(invite.id), 0);
  assert.equal((await invites.listInvites()).find((r) => r.id === invite.id)?.status, "expired");
});

test("a revoked code is refused; revoking twice says so", async () => {
  const invite = await newInvite();
  const revoked = await invites.revokeInvite(invite.id);
  assert.equal(revoked.status, "revoked");
  assert.ok(revoked.revokedAt);
  await refused(
    signUp({ ...good, localPart: "revokee", invite: invite.code }, freshIp()),
    "invite_revoked",
    /withdrawn/,
  );
  await refused(invites.revokeInvite(invite.id), "invalid_input", /already revoked/);
  await refused(invites.revokeInvite("00000000-0000-7000-8000-000000000000"), "not_found");
  await refused(invites.revokeInvite("nonsense"), "not_found");
  const listed = (await invites.listInvites()).find((r) => r.id === invite.id);
  assert.deepEqual(
    { status: listed?.status, creator: listed?.creator, uses: listed?.useCount },
    { status: "revoked", creator: creator.label, uses: 0 },
  );
});

test("a domain-restricted code works only there, even where public signup is off", async () => {
  const invite = await newInvite({ domain: "Team.TEST" });
  assert.equal(invite.domain, "team.test");
  await refused(
    signUp({ ...good, localPart: "member", invite: invite.code }, freshIp()),
    "invite_wrong_domain",
    /addresses at team\.test/,
  );
  assert.deepEqual(await invites.checkInvite(invite.code), { domain: "team.test" });
  const account = await signUp(
    { ...good, localPart: "member", domain: "team.test", invite: invite.code },
    freshIp(),
  );
  assert.equal(account.address, "member@team.test");
  // A code for any domain does not open a domain whose signup is off.
  const anyDomain = await newInvite();
  await refused(
    signUp({ ...good, localPart: "other", domain: "team.test", invite: anyDomain.code }, freshIp()),
    "signup_closed",
  );
  await assert.rejects(newInvite({ domain: "elsewhere.test" }), /not hosted here/);
  await assert.rejects(newInvite({ maxUses: 0 }), /Uses: at least 1/);
  await assert.rejects(newInvite({ days: 0 }), /Days: at least 1/);
});

test("open mode needs no code and leaves one unused; closed mode refuses even with one", async () => {
  const invite = await newInvite();
  await setServiceSetting("signupMode", "open");
  try {
    await signUp({ ...good, localPart: "opener" }, freshIp());
    await signUp({ ...good, localPart: "opener2", invite: invite.code }, freshIp());
    assert.equal(await useCount(invite.id), 0);
    await setServiceSetting("signupMode", "closed");
    await refused(
      signUp({ ...good, localPart: "closer", invite: invite.code }, freshIp()),
      "signup_closed",
    );
    assert.equal(await useCount(invite.id), 0);
  } finally {
    await setServiceSetting("signupMode", "invite");
  }
});

test("invite signups are rate-limited per client like any signup", async () => {
  const invite = await newInvite({ maxUses: 10 });
  const ip = { ip: "198.51.100.77" };
  for (let i = 0; i < 5; i++) {
    await signUp({ ...good, localPart: `limited${i}`, invite: invite.code }, ip);
  }
  await refused(signUp({ ...good, localPart: "limited5", invite: invite.code }, ip), "throttled");
  assert.equal(await useCount(invite.id), 5);
});

const adminCli = (...args: string[]) =>
  runAdminCli(databaseUrl, args, { PUBLIC_URL: "https://mail.example.net" });

test("the admin CLI makes an invite with the same rules and prints its code and link", async () => {
  const made = await adminCli(
    "create-invite",
    "--domain",
    "team.test",
    "--uses",
    "2",
    "--days",
    "3",
  );
  assert.equal(made.code, 0, made.stderr);
  const code = /invite code: (\S+)/.exec(made.stdout)?.[1];
  assert.ok(code, made.stdout);
  assert.match(
    made.stdout,
    new RegExp(`signup link: https://mail\\.example\\.net/signup\\?invite=${code}`),
  );
  const row = await db.invite.findUniqueOrThrow({
    where: { codeHash: new Uint8Array(createHash("sha256").update(code).digest()) },
    include: { domain: true },
  });
  assert.deepEqual(
    { domain: row.domain?.name, maxUses: row.maxUses, createdById: row.createdById },
    { domain: "team.test", maxUses: 2, createdById: null },
  );
  assert.match(row.creator, /^cli:/);
  const days = (row.expiresAt.getTime() - row.createdAt.getTime()) / 86_400_000;
  assert.ok(Math.abs(days - 3) < 0.01, `expires after ${days} days`);
  const audit = await db.auditLog.findFirstOrThrow({ where: { action: "invite.create" } });
  assert.equal(audit.target, row.id);
  assert.ok(!JSON.stringify(audit).includes(code));
  await signUp({ ...good, localPart: "fromcli", domain: "team.test", invite: code }, freshIp());

  const bad = await adminCli("create-invite", "--uses", "0");
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /error: Uses: at least 1\./);
  const unknown = await adminCli("create-invite", "--domain", "nowhere.test");
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /error: nowhere\.test is not hosted here\./);
});
