// The content classifier's pure parts: what the tokenizer reads out of a
// message, and the Robinson/Fisher arithmetic over two models.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  chiSquareQ,
  classify,
  DEFAULT_PARAMS,
  fisherCombine,
  type ModelCounts,
} from "../../../lib/spam/classifier/combine.ts";
import { featureHash, messageTokens } from "../../../lib/spam/classifier/tokenize.ts";

const has = (tokens: number[], feature: string) => tokens.includes(featureHash(feature));

function mime(headers: string, body: string): Buffer {
  return Buffer.from(
    `${headers.trim().replace(/\n/g, "\r\n")}\r\n\r\n${body.replace(/\n/g, "\r\n")}`,
  );
}

test("words and pairs of the decoded body, subject words under their own prefix", () => {
  const raw = mime(
    `From: Shop <deals@shop.example>
Subject: =?utf-8?B?${Buffer.from("Gratis Prämie").toString("base64")}?=
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable`,
    "Cheap pills =E2=80=94 order now=\nadays at http://pills.shop.example/x\n",
  );
  const tokens = messageTokens(raw);
  assert.ok(has(tokens, "s:prämie"), "encoded-word subject decoded");
  assert.ok(has(tokens, "s:gratis prämie"), "subject pairs");
  assert.ok(has(tokens, "cheap pills"), "body pair");
  assert.ok(has(tokens, "nowadays"), "soft line break joined");
  assert.ok(has(tokens, "u:shop.example"), "link host's domain");
  assert.ok(has(tokens, "f:deals"), "From words");
  assert.ok(!has(tokens, "gratis"), "subject words are not body words");
  assert.equal(new Set(tokens).size, tokens.length, "each feature once");
});

test("HTML is read as text, with link hosts; style and script are not words", () => {
  const html = Buffer.from(
    `<html><style>.a{color:red}</style><body><p>Claim your <b>prize</b></p>` +
      `<a href="https://win.prize.example/c">here</a><script>var hidden=1</script></body></html>`,
  ).toString("base64");
  const raw = mime(
    `From: a@b.example
Subject: hi
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=XX`,
    `--XX
Content-Type: text/html; charset=us-ascii
Content-Transfer-Encoding: base64

${html}
--XX--
`,
  );
  const tokens = messageTokens(raw);
  assert.ok(has(tokens, "claim your"));
  assert.ok(has(tokens, "prize"));
  assert.ok(has(tokens, "u:prize.example"));
  assert.ok(has(tokens, "html:style"));
  assert.ok(!has(tokens, "color"), "CSS is no text");
  assert.ok(!has(tokens, "hidden"), "scripts are no text");
});

test("our own verdict headers are not features (the filter must not learn itself)", () => {
  const raw = mime(`From: a@b.example\nX-Spam-Status: Yes, score=9\nSubject: x`, "body words");
  assert.ok(!has(messageTokens(raw), "h:x-spam-status"));
  assert.ok(has(messageTokens(raw), "h:subject"));
});

test("malformed mail never throws", () => {
  for (const raw of [
    "",
    "no header at all",
    "Content-Type: multipart/mixed; boundary=\r\n\r\n--",
    "\r\n\r\n",
  ])
    assert.ok(Array.isArray(messageTokens(Buffer.from(raw))));
  assert.ok(featureHash("x") > 0 && featureHash("x") < 2 ** 53);
});

test("chi-square tail and Fisher's combination", () => {
  assert.ok(Math.abs(chiSquareQ(2, 2) - Math.exp(-1)) < 1e-12);
  assert.equal(chiSquareQ(0, 10), 1);
  assert.ok(fisherCombine(Array(200).fill(0.99)) > 0.99);
  assert.ok(fisherCombine(Array(200).fill(0.01)) < 0.01);
  assert.equal(fisherCombine([]), 0.5);
});

function model(
  spamMessages: number,
  hamMessages: number,
  counts: [string, number, number][],
): ModelCounts {
  return {
    spamMessages,
    hamMessages,
    tokens: new Map(counts.map(([f, spam, ham]) => [featureHash(f), { spam, ham }])),
  };
}

test("classify: null until a model was taught enough of each kind", () => {
  const few = model(DEFAULT_PARAMS.minTrainedEach - 1, 50, [["viagra", 5, 0]]);
  assert.equal(classify([featureHash("viagra")], few, few), null);
});

test("classify: the user's own marks outweigh the service's", () => {
  const features = ["lottery", "winner", "claim"].map(featureHash);
  // The service's counts include the user's own marks.
  const service = model(100, 100, [
    ["lottery", 22, 60],
    ["winner", 22, 60],
    ["claim", 22, 60],
  ]);
  const serviceOnly = classify(features, null, service)!;
  assert.ok(serviceOnly.spamProbability < 0.5, "the service thinks this is ham");
  assert.equal(serviceOnly.userModelUsed, false);
  const user = model(20, 20, [
    ["lottery", 20, 0],
    ["winner", 20, 0],
    ["claim", 20, 0],
  ]);
  const mine = classify(features, user, service)!;
  assert.ok(mine.spamProbability > 0.5, `the user's marks win: ${mine.spamProbability}`);
  assert.ok(mine.userModelUsed);
  assert.ok(mine.serviceProbability! < 0.5);
});
