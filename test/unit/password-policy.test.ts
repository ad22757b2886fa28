import assert from "node:assert/strict";
import { test } from "node:test";
import { passwordProblem } from "../../lib/auth/password-policy.ts";
import { localPartProblem, splitAddress, stripSubaddress } from "../../lib/accounts/address.ts";

test("short, common and address-based passwords are refused", () => {
  assert.match(passwordProblem("short1")!, /at least 10/);
  assert.match(passwordProblem("password123")!, /too common/);
  assert.match(passwordProblem("QWERTYUIOP")!, /too common/);
  assert.match(passwordProblem("aaaaabbbbbaaaa")!, /too easy/);
  assert.match(passwordProblem("alice.smith1", { address: "alice.smith@mail.test" })!, /address/);
  assert.equal(passwordProblem("correct horse battery staple"), null);
});

test("local parts: letters, digits, dots, hyphens, underscores", () => {
  assert.equal(localPartProblem("alice.smith"), null);
  assert.equal(localPartProblem("a_b-c9"), null);
  assert.ok(localPartProblem(""));
  assert.ok(localPartProblem(".alice"));
  assert.ok(localPartProblem("alice."));
  assert.ok(localPartProblem("al..ice"));
  assert.ok(localPartProblem("alice+tag"));
  assert.ok(localPartProblem("al ice"));
  assert.ok(localPartProblem("x".repeat(65)));
});

test("addresses split and subaddresses strip", () => {
  assert.deepEqual(splitAddress(" Alice@Mail.Test "), { localPart: "alice", domain: "mail.test" });
  assert.equal(splitAddress("nobody"), null);
  assert.equal(splitAddress("a@b"), null);
  assert.equal(stripSubaddress("alice+news"), "alice");
});
