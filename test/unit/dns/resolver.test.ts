import assert from "node:assert/strict";
import dgram from "node:dgram";
import { test } from "node:test";
import {
  createStaticResolver,
  createSystemResolver,
  createUnavailableResolver,
  isDefiniteDnsAnswer,
  resolveMx,
  resolveTxt,
  toMailauthResolver,
} from "../../../lib/dns/resolver.ts";

test("the table resolver answers, says ENOTFOUND and ENODATA like node:dns", async () => {
  const dns = createStaticResolver({
    "example.org": { TXT: [["v=spf1 -all"]], MX: [{ exchange: "mx.example.org", priority: 10 }] },
  });
  assert.deepEqual(await resolveTxt(dns, "Example.ORG."), [["v=spf1 -all"]]);
  assert.deepEqual(await resolveMx(dns, "example.org"), [
    { exchange: "mx.example.org", priority: 10 },
  ]);
  await assert.rejects(
    dns.resolve("example.org", "A"),
    (e: { code: string }) => e.code === "ENODATA",
  );
  await assert.rejects(dns.resolve("nowhere.example", "TXT"), (e: unknown) =>
    isDefiniteDnsAnswer(e),
  );
  assert.deepEqual(await toMailauthResolver(dns)("example.org", "txt"), [["v=spf1 -all"]]);
});

test("an unavailable resolver fails with a temporary error", async () => {
  await assert.rejects(
    createUnavailableResolver().resolve("example.org", "TXT"),
    (e: unknown) => !isDefiniteDnsAnswer(e),
  );
});

test("the system resolver gives up within its timeout on a server that never answers", async () => {
  // A UDP socket that reads queries and never replies.
  const silent = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", resolve));
  try {
    const { port } = silent.address();
    const dns = createSystemResolver({
      servers: [`127.0.0.1:${port}`],
      timeoutMs: 400,
      cacheTtlMs: 0,
    });
    const started = Date.now();
    await assert.rejects(
      dns.resolve("example.org", "TXT"),
      (e: { code: string }) => !isDefiniteDnsAnswer(e),
    );
    assert.ok(Date.now() - started < 2_000, "bounded by the timeout");
  } finally {
    silent.close();
  }
});
