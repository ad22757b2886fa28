// Outbound mail is DKIM-signed with the domain's key, and the signature
// verifies against the DNS record the service tells admins to publish.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dkimVerify } from "mailauth";
import { useTestDatabase } from "../../helpers/db.ts";

await useTestDatabase();
const { ensureHostedDomain } = await import("../../../lib/accounts/domains.ts");
const { ensureDkimKey, rotateDkimKey, dkimDnsRecord } = await import("../../../lib/dkim/keys.ts");
const { signWithDomainKey } = await import("../../../lib/dkim/sign.ts");
const { createStaticResolver, toMailauthResolver } = await import("../../../lib/dns/resolver.ts");

const message = Buffer.from(
  "From: Alice <alice@signed.test>\r\nTo: bob@remote.test\r\nSubject: Signed\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <s1@signed.test>\r\n\r\nHello Bob,\r\nthis is signed.\r\n",
);

async function verify(raw: Buffer, record: { name: string; value: string }) {
  const resolver = createStaticResolver({ [record.name]: { TXT: [[record.value]] } });
  return dkimVerify(raw, { resolver: toMailauthResolver(resolver) } as Parameters<
    typeof dkimVerify
  >[1]);
}

test("a hosted domain's mail is signed and verifies against its published record", async () => {
  await ensureHostedDomain("signed.test");
  const key = (await ensureDkimKey("signed.test"))!;
  assert.equal(
    (await ensureDkimKey("signed.test"))!.privateKey,
    key.privateKey,
    "the key is made once",
  );
  const signed = await signWithDomainKey(message, "signed.test");
  assert.match(signed.toString(), /^DKIM-Signature: .*d=signed\.test/s);
  assert.ok(
    signed.subarray(signed.length - message.length).equals(message),
    "the message itself is unchanged",
  );

  const record = dkimDnsRecord(key);
  assert.equal(record.name, `${key.selector}._domainkey.signed.test`);
  assert.match(record.value, /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]+$/);
  const result = await verify(signed, record);
  assert.equal(result.results[0]?.status?.result, "pass");

  // Tampering breaks it.
  const tampered = Buffer.from(signed.toString().replace("this is signed", "this is forged"));
  // mailauth says "neutral" for a body hash mismatch; anything but pass will do.
  assert.notEqual((await verify(tampered, record)).results[0]?.status?.result, "pass");
});

test("after rotation the new record verifies and the old one does not", async () => {
  await ensureHostedDomain("rotated.test");
  const old = (await ensureDkimKey("rotated.test"))!;
  const fresh = await rotateDkimKey("rotated.test");
  assert.notEqual(fresh.selector, old.selector);
  const signed = await signWithDomainKey(
    Buffer.from(message.toString().replaceAll("signed.test", "rotated.test")),
    "rotated.test",
  );
  assert.equal((await verify(signed, dkimDnsRecord(fresh))).results[0]?.status?.result, "pass");
  const oldRecordAtNewName = { name: dkimDnsRecord(fresh).name, value: dkimDnsRecord(old).value };
  assert.notEqual((await verify(signed, oldRecordAtNewName)).results[0]?.status?.result, "pass");
});

test("mail from a domain not hosted here is left unsigned", async () => {
  const raw = Buffer.from("From: x@elsewhere.test\r\n\r\nhi\r\n");
  assert.ok((await signWithDomainKey(raw, "elsewhere.test")).equals(raw));
});
