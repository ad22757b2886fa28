// IMAP extensions and conformance details through Python's imaplib over a
// real socket (each test one script run against the gateway): subscriptions
// that outlive their folder (RFC 5258 \NonExistent), SEARCH over every
// address of a header, and the extensions announced in CAPABILITY.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount, TEST_PASSWORD } from "../../helpers/accounts.ts";
import { python } from "../../helpers/smtp-clients.ts";
import { startImapGateway } from "../../helpers/imap.ts";

await useTestDatabase();
const gateway = await startImapGateway();

/** Runs `body` (Python, with M logged in and `out` to fill) for a fresh account. */
async function imaplib<T>(local: string, body: string): Promise<T> {
  await makeAccount(local);
  const script =
    String.raw`
import imaplib, json, sys
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
M.login(sys.argv[2], sys.argv[3])
out = {}
def cmd(*args):
    typ, data = M._simple_command(*args)
    name = args[0] if args[0] != "UID" else args[1]
    return typ, [d.decode() if isinstance(d, bytes) else d for d in M._untagged_response(typ, data, name)[1]]
def dec(data):
    return [d.decode() if isinstance(d, bytes) else [x.decode() for x in d] if isinstance(d, tuple) else d for d in data]
` +
    body +
    `
print(json.dumps(out))
`;
  return python<T>(script, [String(gateway.imapPort), `${local}@mail.test`, TEST_PASSWORD]);
}

test("a subscription outlives its folder: LIST (SUBSCRIBED) shows it \\NonExistent, UNSUBSCRIBE removes it", async () => {
  const r = await imaplib<Record<string, string[] | string>>(
    "subs",
    String.raw`
M.create("box/gone"); M.create("box/kept")
M.subscribe("box/gone"); M.subscribe("box/kept")
M.delete("box/gone")
out["subscribed"] = dec(cmd("LIST", "(SUBSCRIBED)", '""', "box/*")[1])
out["lsub"] = dec(M.lsub('""', "box/*")[1])
out["plain"] = dec(M.list('""', "box/*")[1])
out["unsubscribe"] = M.unsubscribe("box/gone")[0]
out["after"] = dec(cmd("LIST", "(SUBSCRIBED)", '""', "box/*")[1])
M.rename("box/kept", "box/moved")
out["renamed"] = dec(cmd("LIST", "(SUBSCRIBED)", '""', "box/*")[1])
`,
  );
  assert.deepEqual(r.subscribed, [
    '(\\NonExistent \\HasNoChildren \\Subscribed) "/" "box/gone"',
    '(\\HasNoChildren \\Subscribed) "/" "box/kept"',
  ]);
  assert.deepEqual(r.lsub, ['(\\Noselect) "/" "box/gone"', '() "/" "box/kept"']);
  assert.deepEqual(r.plain, ['(\\HasNoChildren) "/" "box/kept"']);
  assert.equal(r.unsubscribe, "OK");
  assert.deepEqual(r.after, ['(\\HasNoChildren \\Subscribed) "/" "box/kept"']);
  // The subscription follows its folder's new name.
  assert.deepEqual(r.renamed, ['(\\HasNoChildren \\Subscribed) "/" "box/moved"']);
});

test("SEARCH FROM/TO/CC match every address of the header, comments, display and group names", async () => {
  const r = await imaplib<Record<string, string>>(
    "addrsearch",
    String.raw`
msgs = [
  b"From: <user-from (comment)@ (comment) domain.org>\r\nTo: x@y.org\r\n\r\nbody\r\n",
  b"From: one@domain.org, second@domain.org\r\nCc: c@d.org (Real Cc)\r\n\r\nbody\r\n",
  b"From: a@b.org\r\nTo: team: member1@domain.org, member2@domain.org;, other: m3@domain.org;\r\n\r\nbody\r\n",
]
for m in msgs:
    M.append("INBOX", None, None, m)
M.select("INBOX")
for key, args in {
    "comment": ("FROM", "user-from@domain.org"),
    "second": ("FROM", "second@domain.org"),
    "cc_comment": ("CC", '"real cc"'),
    "group": ("TO", "team"),
    "group2": ("TO", "other"),
    "member": ("TO", "member2"),
    "none": ("TO", "member4"),
}.items():
    out[key] = M.search(None, *args)[1][0].decode()
`,
  );
  assert.deepEqual(r, {
    comment: "1",
    second: "2",
    cc_comment: "2",
    group: "3",
    group2: "3",
    member: "3",
    none: "",
  });
});
