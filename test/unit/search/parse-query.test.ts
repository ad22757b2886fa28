import assert from "node:assert/strict";
import { test } from "node:test";
import {
  isEmptyQuery,
  parseDay,
  parseQuery,
  tokenize,
  MAX_QUERY_TERMS,
} from "../../../lib/search/parse-query.ts";

test("free words, phrases and negation", () => {
  assert.deepEqual(parseQuery('hello "quarterly report" -spam').conditions, [
    { kind: "text", value: "hello", negated: false },
    { kind: "text", value: "quarterly report", negated: false },
    { kind: "text", value: "spam", negated: true },
  ]);
});

test("field operators take bare or quoted values", () => {
  assert.deepEqual(parseQuery('from:alice to:"Bob Smith" subject:invoice cc:carol').conditions, [
    { kind: "from", value: "alice", negated: false },
    { kind: "to", value: "Bob Smith", negated: false },
    { kind: "subject", value: "invoice", negated: false },
    { kind: "to", value: "carol", negated: false },
  ]);
  assert.deepEqual(parseQuery("-from:bob").conditions, [
    { kind: "from", value: "bob", negated: true },
  ]);
  assert.deepEqual(parseQuery("FROM:Alice").conditions, [
    { kind: "from", value: "Alice", negated: false },
  ]);
});

test("is:, has:, in:, before:, after:", () => {
  const q = parseQuery(
    "is:unread is:starred has:attachment in:Archive before:2026-01-31 after:2025/12/1",
  );
  assert.equal(q.folder, "Archive");
  assert.deepEqual(q.conditions, [
    { kind: "is", value: "unread", negated: false },
    { kind: "is", value: "flagged", negated: false },
    { kind: "has", value: "attachment", negated: false },
    { kind: "before", date: new Date(Date.UTC(2026, 0, 31)), negated: false },
    { kind: "after", date: new Date(Date.UTC(2025, 11, 1)), negated: false },
  ]);
  assert.equal(parseQuery('in:"Projects/2026"').folder, "Projects/2026");
});

test("unknown operators and values are searched as text", () => {
  assert.deepEqual(parseQuery("foo:bar is:purple has:cake before:yesterday").conditions, [
    { kind: "text", value: "foo:bar", negated: false },
    { kind: "text", value: "is:purple", negated: false },
    { kind: "text", value: "has:cake", negated: false },
    { kind: "text", value: "before:yesterday", negated: false },
  ]);
  // A URL is text, not an operator with a value "//…".
  assert.deepEqual(parseQuery("https://example.org").conditions, [
    { kind: "text", value: "https://example.org", negated: false },
  ]);
});

test("dates must exist", () => {
  assert.equal(parseDay("2026-02-31"), null);
  assert.equal(parseDay("2026-13-01"), null);
  assert.equal(parseDay("26-01-01"), null);
  assert.deepEqual(parseDay("2024-02-29"), new Date(Date.UTC(2024, 1, 29)));
});

test("odd input: blanks, lone dashes and quotes, empty values", () => {
  assert.ok(isEmptyQuery(parseQuery("   ")));
  assert.deepEqual(parseQuery('- "" from: "unterminated').conditions, [
    { kind: "text", value: "-", negated: false },
    { kind: "text", value: "from:", negated: false },
    { kind: "text", value: "unterminated", negated: false },
  ]);
  assert.deepEqual(
    tokenize("a\tb\nc").map((t) => t.value),
    ["a", "b", "c"],
  );
});

test("long queries are bounded", () => {
  const many = Array.from({ length: 100 }, (_, i) => `w${i}`).join(" ");
  assert.equal(parseQuery(many).conditions.length, MAX_QUERY_TERMS);
  assert.ok(tokenize("x".repeat(10_000))[0]!.value.length <= 500);
});
