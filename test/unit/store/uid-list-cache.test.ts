// The process copy of large folders' uid lists (lib/store/uid-list-cache.ts):
// kept only when the list matches the count it was read with, small folders
// not at all, and the least recently used lists go first beyond its bound.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cachedUidList, rememberUidList } from "../../../lib/store/uid-list-cache.ts";

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

test("a large folder's list is kept with the uidNext and count it was read with", () => {
  rememberUidList("big", 10_001, 10_000, range(1, 10_000));
  const entry = cachedUidList("big");
  assert.deepEqual(
    entry && [entry.uidNext, entry.messageCount, entry.uids.length, entry.uids[9_999]],
    [10_001, 10_000, 10_000, 10_000],
  );
  // A list that does not match its count (read while it changed?) replaces nothing stale.
  rememberUidList("big", 10_002, 10_001, range(1, 10_000));
  assert.equal(cachedUidList("big"), null);
  // A small folder is cheap to read: not kept.
  rememberUidList("small", 11, 10, range(1, 10));
  assert.equal(cachedUidList("small"), null);
});

test("beyond two million uids the least recently used lists are dropped", () => {
  rememberUidList("a", 800_001, 800_000, range(1, 800_000));
  rememberUidList("b", 800_001, 800_000, range(1, 800_000));
  assert.ok(cachedUidList("a")); // now the most recently used
  rememberUidList("c", 800_001, 800_000, range(1, 800_000));
  assert.equal(cachedUidList("b"), null);
  assert.ok(cachedUidList("a"));
  assert.ok(cachedUidList("c"));
});
