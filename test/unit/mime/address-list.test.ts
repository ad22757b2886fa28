// Address lists as people paste them into a recipient field (and admins into
// an alias's targets): every address kept, names with commas or semicolons
// kept whole, pieces that are not addresses reported, not dropped.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAddressList, splitTypedAddresses } from "../../../lib/mime/address-list.ts";

const pairs = (text: string) => parseAddressList(text).map((a) => [a.name, a.address]);

test("commas, semicolons, line breaks and spaces all separate addresses", () => {
  const four = [
    ["", "a@x.test"],
    ["", "b@y.test"],
    ["", "c@z.test"],
    ["", "d@w.test"],
  ];
  assert.deepEqual(pairs("a@x.test, b@y.test; c@z.test,d@w.test"), four);
  assert.deepEqual(pairs("a@x.test\nb@y.test\r\nc@z.test\n\nd@w.test\n"), four);
  assert.deepEqual(pairs("a@x.test b@y.test\tc@z.test   d@w.test"), four);
  assert.deepEqual(pairs(" ,; a@x.test,, ;b@y.test c@z.test;\nd@w.test ;"), four);
});

test("display names, quoted names with separators in them, comments", () => {
  assert.deepEqual(
    pairs(
      '"Doe, Jane" <jane@x.test>; "Roe; Rick" <rick@y.test>, Ann Lee <ann@z.test> Bob <bob@q.test>',
    ),
    [
      ["Doe, Jane", "jane@x.test"],
      ["Roe; Rick", "rick@y.test"],
      ["Ann Lee", "ann@z.test"],
      ["Bob", "bob@q.test"],
    ],
  );
  assert.deepEqual(pairs('"Quote \\"Q\\" Person" <q@x.test>'), [['Quote "Q" Person', "q@x.test"]]);
  assert.deepEqual(pairs("Jane Doe jane@x.test Bob Roe bob@y.test"), [
    ["Jane Doe", "jane@x.test"],
    ["Bob Roe", "bob@y.test"],
  ]);
  assert.deepEqual(pairs("john@x.test (John Smith) mary@y.test"), [
    ["John Smith", "john@x.test"],
    ["", "mary@y.test"],
  ]);
  // Outlook's "Last, First <addr>": the comma belongs to the name.
  assert.deepEqual(pairs("Müller, Hans <hans@x.test>; Roe, Rick <rick@y.test>"), [
    ["Müller, Hans", "hans@x.test"],
    ["Roe, Rick", "rick@y.test"],
  ]);
  // An RFC 5322 group stands for its members.
  assert.deepEqual(pairs("Team: a@x.test, b@y.test;, c@z.test"), [
    ["", "a@x.test"],
    ["", "b@y.test"],
    ["", "c@z.test"],
  ]);
});

test("a piece that is not an address comes back as written, in its place", () => {
  const list = parseAddressList("ok@x.test, not an address; bob@, <> , Eve <eve@y.test>");
  assert.deepEqual(
    list.map((a) => [a.address, a.text]),
    [
      ["ok@x.test", "ok@x.test"],
      ["", "not an address"],
      ["bob@", "bob@"],
      ["", "<>"],
      ["eve@y.test", "Eve <eve@y.test>"],
    ],
  );
});

test("typing: only separators outside quotes and angle brackets finish an address", () => {
  assert.deepEqual(splitTypedAddresses('"Doe, Jane'), { done: [], rest: '"Doe, Jane' });
  assert.deepEqual(splitTypedAddresses('"Doe, Jane" <jane@x.test'), {
    done: [],
    rest: '"Doe, Jane" <jane@x.test',
  });
  const typed = splitTypedAddresses('"Doe, Jane" <jane@x.test>, bo');
  assert.deepEqual(
    typed.done.map((a) => [a.name, a.address]),
    [["Doe, Jane", "jane@x.test"]],
  );
  assert.equal(typed.rest, "bo");
  assert.deepEqual(
    splitTypedAddresses("a@x.test; b@y.test;").done.map((a) => a.address),
    ["a@x.test", "b@y.test"],
  );
});
