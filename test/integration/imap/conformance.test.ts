// IMAP semantics that Dovecot's imaptest checks (test/integration/imap/imaptest.test.ts
// runs it whole), each pinned here over a raw socket: mailbox names that
// cannot exist, keywords announced in FLAGS, \Recent, CONDSTORE in SEARCH,
// ENVELOPE groups and routes, MOVE into the selected folder, SENT* dates,
// LSUB parents, LIST-EXTENDED RECURSIVEMATCH, SEARCH * and (key), CREATE USE.
import assert from "node:assert/strict";
import { test } from "node:test";
import { useTestDatabase } from "../../helpers/db.ts";
import { makeAccount, TEST_PASSWORD } from "../../helpers/accounts.ts";
import { RawImapClient, startImapGateway } from "../../helpers/imap.ts";

await useTestDatabase();
const gateway = await startImapGateway();

async function loggedIn(address: string): Promise<RawImapClient> {
  const client = await RawImapClient.connect(gateway.imapPort);
  const reply = await client.command(`LOGIN ${address} "${TEST_PASSWORD}"`);
  assert.match(reply.at(-1)!, /^t\d+ OK /, reply.join("\n"));
  return client;
}

async function append(client: RawImapClient, mailbox: string, message: string, flags = "") {
  const bytes = Buffer.from(message.replace(/\r?\n/g, "\r\n"));
  client.write(
    `a${bytes.length} APPEND ${mailbox} ${flags ? `(${flags}) ` : ""}{${bytes.length}+}\r\n`,
  );
  client.write(bytes);
  client.write("\r\n");
  const reply = await client.until(`a${bytes.length}`);
  assert.match(reply.at(-1)!, /OK/, reply.join("\n"));
}

const simple = (subject: string, headers = "") =>
  `From: a@example.org\nTo: b@example.org\nSubject: ${subject}\n${headers}\nBody\n`;

test("a mailbox name that is not modified UTF-7 is NO, and as a LIST pattern matches nothing", async () => {
  await makeAccount("atoms");
  const client = await loggedIn("atoms@mail.test");
  const select = await client.command("SELECT !#$&'+,-.0123456789:;<=>?@^_`|[}");
  assert.match(select.at(-1)!, /^t\d+ NO \[CANNOT\] Malformed modified UTF-7/);
  const list = await client.command('LIST "" !#$&\'+,-.0123456789:;<=>?@^_`|[}%*');
  assert.deepEqual(list.slice(0, -1), []);
  assert.match(list.at(-1)!, /^t\d+ OK/);
  client.destroy();
});

test("SEARCH * and SEARCH (SEEN): a key may start with * or (", async () => {
  await makeAccount("sets");
  const client = await loggedIn("sets@mail.test");
  for (let i = 0; i < 3; i++)
    await append(client, "INBOX", simple(`m${i}`), i === 1 ? "\\Seen" : "");
  await client.command("SELECT INBOX");
  assert.deepEqual((await client.command("SEARCH *"))[0], "* SEARCH 3");
  assert.deepEqual((await client.command("SEARCH (SEEN)"))[0], "* SEARCH 2");
  assert.deepEqual((await client.command("SEARCH (SEEN) *:2"))[0], "* SEARCH 2");
  client.destroy();
});

test("CREATE with USE (RFC 6154): every special use has its folder already, so NO [USEATTR]", async () => {
  await makeAccount("specialuse");
  const client = await loggedIn("specialuse@mail.test");
  const reply = await client.command("CREATE MyArchive (USE (\\Archive))");
  assert.match(reply.at(-1)!, /^t\d+ NO \[USEATTR\] \\Archive is Archive already/);
  const bad = await client.command("CREATE Other (USE (\\Important))");
  assert.match(bad.at(-1)!, /^t\d+ NO \[USEATTR\]/);
  const list = await client.command('LIST "" "MyArchive"');
  assert.equal(list.length, 1, "nothing was created");
  assert.match(capabilities(await client.command("CAPABILITY")), / CREATE-SPECIAL-USE /);
  client.destroy();
});

function capabilities(reply: string[]): string {
  return `${reply.find((l) => l.startsWith("* CAPABILITY"))!} `;
}

test("a keyword is announced in FLAGS and PERMANENTFLAGS before a FETCH shows it", async () => {
  await makeAccount("keywords");
  const client = await loggedIn("keywords@mail.test");
  await append(client, "INBOX", simple("k"), "$Label1");
  await client.command("SELECT INBOX");
  const fetched = await client.command("FETCH 1 FLAGS");
  assert.match(
    fetched[0]!,
    /^\* FLAGS \(\\Answered \\Flagged \\Deleted \\Seen \\Draft \$Label1\)$/,
  );
  assert.match(fetched[1]!, /^\* OK \[PERMANENTFLAGS \(.* \$Label1 \\\*\)\]/);
  assert.match(fetched[2]!, /^\* 1 FETCH \(FLAGS \(.*\$Label1\)\)$/);
  // Known now: not announced again; a new keyword from STORE is.
  assert.equal((await client.command("FETCH 1 FLAGS")).length, 2);
  const stored = await client.command("STORE 1 +FLAGS ($Label2)");
  assert.match(stored[0]!, /^\* FLAGS \(.*\$Label1 \$Label2\)$/);
  assert.match(
    stored.find((l) => l.includes("FETCH"))!,
    /\$Label2/,
  );
  client.destroy();
});

test("\\Recent: the first read-write SELECT claims new messages; EXAMINE and STATUS only look", async () => {
  await makeAccount("recent");
  const one = await loggedIn("recent@mail.test");
  await append(one, "INBOX", simple("r1"));
  await append(one, "INBOX", simple("r2"));
  const status = await one.command("STATUS INBOX (RECENT)");
  assert.equal(status[0], '* STATUS "INBOX" (RECENT 2)');
  const examine = await one.command("EXAMINE INBOX");
  assert.ok(examine.includes("* 2 RECENT"), examine.join("\n"));
  await one.command("CLOSE");
  const select = await one.command("SELECT INBOX");
  assert.ok(select.includes("* 2 RECENT"), select.join("\n"));
  assert.match((await one.command("FETCH 1 FLAGS"))[0]!, /\\Recent/);
  assert.equal((await one.command("SEARCH RECENT"))[0], "* SEARCH 1 2");
  assert.equal((await one.command("SEARCH NEW"))[0], "* SEARCH 1 2");
  assert.equal((await one.command("SEARCH OLD"))[0], "* SEARCH");
  // Claimed by this session: no other session sees them as recent.
  const two = await loggedIn("recent@mail.test");
  assert.equal((await two.command("STATUS INBOX (RECENT)"))[0], '* STATUS "INBOX" (RECENT 0)');
  const again = await two.command("SELECT INBOX");
  assert.ok(again.includes("* 0 RECENT"), again.join("\n"));
  // A new message goes to the session that has the folder selected read-write.
  await append(two, "Drafts", simple("r3"));
  await two.command("SELECT Drafts");
  await two.command("COPY 1 INBOX");
  const noop = await one.command("NOOP");
  assert.deepEqual(noop.slice(0, 2), ["* 3 EXISTS", "* 3 RECENT"]);
  one.destroy();
  two.destroy();
});

test("CONDSTORE: FETCH MODSEQ reports HIGHESTMODSEQ once; SEARCH and ESEARCH MODSEQ give the highest mod-sequence", async () => {
  await makeAccount("condstore");
  const client = await loggedIn("condstore@mail.test");
  for (let i = 0; i < 3; i++) await append(client, "INBOX", simple(`c${i}`));
  await client.command("SELECT INBOX");
  const first = await client.command("FETCH 1 MODSEQ");
  assert.match(first[0]!, /^\* OK \[HIGHESTMODSEQ \d+\]/);
  assert.ok(!(await client.command("FETCH 1 MODSEQ"))[0]!.includes("HIGHESTMODSEQ"));
  const modseqs: string[] = [];
  for (const seq of [1, 3, 2]) {
    const reply = await client.command(`STORE ${seq} +FLAGS \\Seen`);
    modseqs[seq] = /MODSEQ \((\d+)\)/.exec(reply[0]!)![1]!;
  }
  assert.equal(
    (await client.command('SEARCH MODSEQ "/flags/\\\\seen" all 1'))[0],
    `* SEARCH 1 2 3 (MODSEQ ${modseqs[2]})`,
  );
  const min = await client.command('SEARCH RETURN (MIN) 1:3 MODSEQ "/flags/\\\\seen" all 1');
  assert.match(min[0]!, new RegExp(`MIN 1 MODSEQ ${modseqs[1]}$`));
  const max = await client.command("SEARCH RETURN (MAX) 1:3 MODSEQ 1");
  assert.match(max[0]!, new RegExp(`MAX 3 MODSEQ ${modseqs[3]}$`));
  client.destroy();
});

test("ENVELOPE: groups list members only (a comment is none), source routes go in the adl", async () => {
  await makeAccount("envelope");
  const client = await loggedIn("envelope@mail.test");
  await append(
    client,
    "INBOX",
    "From: <@route:user@domain>\nTo: group: g1@d1.org;\nCc: group:;, group2: (foo) ;\nSubject: e\n\nx\n",
  );
  await client.command("SELECT INBOX");
  const [line] = await client.command("FETCH 1 ENVELOPE");
  assert.ok(line!.includes('((NIL "@route" "user" "domain"))'), line);
  assert.ok(
    line!.includes(
      '((NIL NIL "group" NIL) (NIL NIL NIL NIL) (NIL NIL "group2" NIL) (NIL NIL NIL NIL))',
    ),
    line,
  );
  client.destroy();
});

test("MOVE into the selected folder gives the message a new uid: COPYUID, EXPUNGE, EXISTS", async () => {
  await makeAccount("moveself");
  const client = await loggedIn("moveself@mail.test");
  await append(client, "INBOX", simple("m"));
  const select = await client.command("SELECT INBOX");
  const uidNext = /UIDNEXT (\d+)/.exec(select.join("\n"))![1];
  const reply = await client.command("MOVE 1 INBOX");
  assert.match(reply[0]!, new RegExp(`^\\* OK \\[COPYUID \\d+ 1 ${uidNext}\\]`));
  assert.deepEqual(reply.slice(1, 3), ["* 1 EXPUNGE", "* 1 EXISTS"]);
  assert.equal((await client.command("UID SEARCH ALL"))[0], `* SEARCH ${uidNext}`);
  client.destroy();
});

test("SENTON/SENTBEFORE use the Date header's own day, not the UTC one", async () => {
  await makeAccount("sentdate");
  const client = await loggedIn("sentdate@mail.test");
  // 00:30 at +0200 is the 24th in UTC.
  await append(client, "INBOX", simple("d", "Date: Sun, 25 Mar 2007 00:30:00 +0200\n"));
  await client.command("SELECT INBOX");
  assert.equal((await client.command("SEARCH SENTON 25-Mar-2007"))[0], "* SEARCH 1");
  assert.equal((await client.command("SEARCH SENTBEFORE 25-Mar-2007"))[0], "* SEARCH");
  assert.equal((await client.command("SEARCH SENTSINCE 25-Mar-2007"))[0], "* SEARCH 1");
  client.destroy();
});

test("LSUB lists a parent of a subscribed folder as \\Noselect; IMAP CREATE does not subscribe", async () => {
  await makeAccount("lsub");
  const client = await loggedIn("lsub@mail.test");
  await client.command("CREATE box/sub/leaf");
  await client.command("CREATE box/other");
  assert.deepEqual((await client.command('LSUB "" box/*')).slice(0, -1), []);
  await client.command("SUBSCRIBE box/sub/leaf");
  assert.deepEqual((await client.command('LSUB "" box/%')).slice(0, -1), [
    '* LSUB (\\Noselect) "/" "box/sub"',
  ]);
  assert.deepEqual((await client.command('LSUB "" box/*')).slice(0, -1), [
    '* LSUB () "/" "box/sub/leaf"',
  ]);
  await client.command("UNSUBSCRIBE box/sub/leaf");
  assert.deepEqual((await client.command('LSUB "" box/%')).slice(0, -1), []);
  client.destroy();
});

test("LIST (SUBSCRIBED RECURSIVEMATCH) gives CHILDINFO; RECURSIVEMATCH alone is BAD", async () => {
  await makeAccount("listext");
  const client = await loggedIn("listext@mail.test");
  await client.command("CREATE top/child");
  await client.command("SUBSCRIBE top/child");
  const reply = await client.command('list (subscribed recursivematch) "" top% return (children)');
  assert.deepEqual(reply.slice(0, -1), [
    '* LIST (\\HasChildren) "/" "top" (CHILDINFO ("SUBSCRIBED"))',
  ]);
  assert.match((await client.command('LIST (RECURSIVEMATCH) "" ""')).at(-1)!, /^t\d+ BAD/);
  client.destroy();
});

test("a folder deleted and made again at once gets a larger UIDVALIDITY", async () => {
  await makeAccount("uidvalidity");
  const client = await loggedIn("uidvalidity@mail.test");
  const validity = async () =>
    Number(/UIDVALIDITY (\d+)/.exec((await client.command("STATUS again (UIDVALIDITY)"))[0]!)![1]);
  await client.command("CREATE again");
  const before = await validity();
  for (let i = 0; i < 3; i++) {
    await client.command("DELETE again");
    await client.command("CREATE again");
  }
  assert.ok((await validity()) >= before + 3);
  client.destroy();
});

test("SORT (RFC 5256): by base subject, address, size and arrival, REVERSE, ties by sequence", async () => {
  await makeAccount("sorter");
  const client = await loggedIn("sorter@mail.test");
  await append(client, "INBOX", "From: zed@example.org\nSubject: Re: [list] beta (fwd)\n\nx\n");
  await append(
    client,
    "INBOX",
    "From: amy@example.org\nSubject: =?utf-8?q?alpha?=\n\nlonger body\n",
  );
  await append(client, "INBOX", "From: Bob <bob@example.org>\nSubject: Fwd: ALPHA\n\nx\n");
  await client.command("SELECT INBOX");
  assert.equal((await client.command("SORT (SUBJECT) UTF-8 ALL"))[0], "* SORT 2 3 1");
  assert.equal((await client.command("SORT (REVERSE SUBJECT) UTF-8 ALL"))[0], "* SORT 1 2 3");
  assert.equal((await client.command("SORT (FROM) UTF-8 ALL"))[0], "* SORT 2 3 1");
  assert.equal((await client.command("SORT (REVERSE ARRIVAL) US-ASCII 2:*"))[0], "* SORT 3 2");
  const byUid = await client.command("UID SORT (SIZE) UTF-8 ALL");
  assert.match(byUid[0]!, /^\* SORT \d+ \d+ \d+$/);
  // RFC 5957: the display name (Bob) before the bare addresses' local parts.
  assert.equal((await client.command("SORT (DISPLAYFROM) UTF-8 ALL"))[0], "* SORT 2 3 1");
  assert.match(capabilities(await client.command("CAPABILITY")), / SORT SORT=DISPLAY /);
  client.destroy();
});
