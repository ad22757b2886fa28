import assert from "node:assert/strict";
import { test } from "node:test";
import { hasReplyPrefix, normalizeSubject } from "../../../lib/mime/normalize-subject.ts";

test("reply and forward markers in several languages are removed", () => {
  for (const subject of [
    "Re: Plan",
    "RE: plan",
    "Fwd: Plan",
    "FW: Plan",
    "AW: Plan",
    "WG: Plan",
    "Re[2]: Plan",
    "SV: Plan",
  ]) {
    assert.equal(normalizeSubject(subject), "plan", subject);
  }
});

test("stacked markers, list tags and (fwd) trailers are removed", () => {
  assert.equal(normalizeSubject("Re: [team] Fwd: Re:  Quarterly   plan (fwd)"), "quarterly plan");
  assert.equal(normalizeSubject("[PATCH 2/3] re: fix"), "fix");
});

test("subjects that only look like markers are kept", () => {
  assert.equal(normalizeSubject("Regarding the plan"), "regarding the plan");
  assert.equal(normalizeSubject("Reply needed"), "reply needed");
  assert.equal(normalizeSubject(""), "");
  assert.equal(normalizeSubject("Re:"), "");
});

test("reply prefixes are detected after list tags", () => {
  assert.equal(hasReplyPrefix("Re: x"), true);
  assert.equal(hasReplyPrefix("[team] AW: x"), true);
  assert.equal(hasReplyPrefix("Report"), false);
  assert.equal(hasReplyPrefix("x Re: y"), false);
});
