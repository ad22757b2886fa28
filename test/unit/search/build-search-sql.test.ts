import assert from "node:assert/strict";
import { test } from "node:test";
import {
  buildSearchWhere,
  likePattern,
  type SearchScope,
} from "../../../lib/search/build-search-sql.ts";
import { parseQuery } from "../../../lib/search/parse-query.ts";
import { resolveScope } from "../../../lib/search/search-messages.ts";

const ACCOUNT = "01900000-0000-7000-8000-000000000001";
const all: SearchScope = { kind: "all-but", excludedMailboxIds: [] };

test("every clause is scoped to the account first", () => {
  const sql = buildSearchWhere(ACCOUNT, parseQuery("hello"), all);
  assert.match(sql.text, /^m\."accountId" = \$1::uuid AND /);
  assert.equal(sql.values[0], ACCOUNT);
});

test("user text only ever travels as a parameter", () => {
  const evil = `x'); DROP TABLE "Message"; --`;
  const sql = buildSearchWhere(
    ACCOUNT,
    parseQuery(`"${evil}" from:${evil.replaceAll(" ", "")} subject:"${evil}"`),
    all,
  );
  assert.doesNotMatch(sql.text, /DROP/);
  assert.ok(sql.values.some((v) => typeof v === "string" && v.includes("DROP")));
});

test("free text uses the full-text index of MessageSearch; negation keeps copies without one", () => {
  const sql = buildSearchWhere(ACCOUNT, parseQuery("report -draft"), all);
  const vector = (n: number) =>
    String.raw`EXISTS \(SELECT 1 FROM "MessageSearch" s WHERE s\."accountId" = m\."accountId"\s+AND s\."messageId" = m\."id" AND s\."vector" @@ phraseto_tsquery\('simple', \$${n}\)\)`;
  assert.match(sql.text, new RegExp(vector(2)));
  assert.match(sql.text, new RegExp(String.raw`NOT COALESCE\(${vector(3)}, false\)`));
  assert.deepEqual(sql.values.slice(1), ["report", "draft"]);
});

test("terms without letters or digits are dropped", () => {
  const sql = buildSearchWhere(ACCOUNT, parseQuery("!!! ..."), all);
  assert.equal(sql.text, 'm."accountId" = $1::uuid');
});

test("LIKE wildcards in values are literal", () => {
  assert.equal(likePattern("50%_off\\"), "%50\\%\\_off\\\\%");
});

test("scope: a folder, or everything but Trash and Junk", () => {
  const boxes = [
    { id: "i", name: "Inbox", specialUse: "INBOX" as const, messageCount: 0, unreadCount: 0 },
    { id: "t", name: "Trash", specialUse: "TRASH" as const, messageCount: 0, unreadCount: 0 },
    { id: "j", name: "Junk", specialUse: "JUNK" as const, messageCount: 0, unreadCount: 0 },
    { id: "p", name: "Projects/2026", specialUse: null, messageCount: 0, unreadCount: 0 },
  ];
  assert.deepEqual(resolveScope(parseQuery("x"), boxes), {
    kind: "all-but",
    excludedMailboxIds: ["t", "j"],
  });
  assert.deepEqual(resolveScope(parseQuery("in:spam"), boxes), { kind: "mailbox", mailboxId: "j" });
  assert.deepEqual(resolveScope(parseQuery("in:projects/2026"), boxes), {
    kind: "mailbox",
    mailboxId: "p",
  });
  assert.deepEqual(resolveScope(parseQuery("in:anywhere"), boxes), {
    kind: "all-but",
    excludedMailboxIds: [],
  });
  assert.equal(resolveScope(parseQuery("in:nowhere"), boxes), null);
  const sql = buildSearchWhere(ACCOUNT, parseQuery("is:unread has:attachment before:2026-01-01"), {
    kind: "mailbox",
    mailboxId: "p",
  });
  assert.equal(
    sql.text,
    'm."accountId" = $1::uuid AND m."mailboxId" = $2::uuid AND NOT m."seen" AND m."hasAttachments" AND m."receivedAt" < $3',
  );
});
