// The one rule for text Postgres can hold: no NUL, well-formed UTF-16
// (astral characters are pairs; a lone or reversed surrogate is not text).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  isStorableText,
  storableString,
  toStorableText,
} from "../../../lib/validation/storable-text.ts";

test("NUL and lone or reversed surrogates are not storable; pairs and everything else are", () => {
  for (const ok of [
    "",
    "plain",
    "tab\tand\nlines",
    "é ß 漢字",
    "emoji 😀 and 𝄞",
    "\ufffd",
    "\u0001",
  ]) {
    assert.equal(isStorableText(ok), true, JSON.stringify(ok));
  }
  for (const bad of [
    "\u0000",
    "a\u0000b",
    "\ud800",
    "a\ud83d",
    "\ude00b",
    "\ude00\ud83d",
    "😀\ud800",
  ]) {
    assert.equal(isStorableText(bad), false, JSON.stringify(bad));
  }
});

test("parsed mail text is cleaned, not refused: NUL dropped, lone surrogates as U+FFFD", () => {
  assert.equal(toStorableText("a\u0000b\u0000"), "ab");
  assert.equal(toStorableText("x\ud800y\udc00z 😀"), "x\ufffdy\ufffdz 😀");
  assert.equal(toStorableText("already fine 😀"), "already fine 😀");
});

test("the zod string keeps chaining and names the problem", () => {
  const schema = storableString().trim().max(5);
  assert.equal(schema.parse("  ok  "), "ok");
  const refused = schema.safeParse("a\u0000");
  assert.ok(!refused.success);
  assert.match(refused.error.issues[0]!.message, /NUL character or invalid Unicode/);
});
