import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfig } from "../../../lib/config/index.ts";
import { createStaticResolver, createUnavailableResolver } from "../../../lib/dns/resolver.ts";
import { routeDomain } from "../../../lib/relay/route.ts";

const relay = parseConfig({ RELAY_REMOTE_PORT: "2600" }).relay;
const resolver = createStaticResolver({
  "multi.test": {
    MX: [
      { exchange: "backup.multi.test", priority: 20 },
      { exchange: "primary.multi.test", priority: 10 },
    ],
  },
  "primary.multi.test": { A: ["127.0.0.2"] },
  "backup.multi.test": { A: ["127.0.0.3"], AAAA: ["::1"] },
  "nullmx.test": { MX: [{ exchange: "", priority: 0 }] },
  "nomx.test": { A: ["127.0.0.4"] },
  "nothing.test": { TXT: [["v=spf1 -all"]] },
  "deadmx.test": { MX: [{ exchange: "gone.deadmx.test", priority: 10 }] },
});

test("MX hosts in preference order, resolved to addresses, with their names for TLS", async () => {
  const route = await routeDomain("Multi.Test", resolver, relay);
  assert.deepEqual(route, {
    kind: "hosts",
    hosts: [
      { host: "127.0.0.2", port: 2600, servername: "primary.multi.test" },
      { host: "127.0.0.3", port: 2600, servername: "backup.multi.test" },
      { host: "::1", port: 2600, servername: "backup.multi.test" },
    ],
  });
});

test("null MX bounces at once (RFC 7505)", async () => {
  const route = await routeDomain("nullmx.test", resolver, relay);
  assert.equal(route.kind, "fail");
  assert.match((route as { reply: string }).reply, /^556 5\.1\.10/);
});

test("no MX falls back to the domain's own address; no address at all bounces", async () => {
  assert.deepEqual(await routeDomain("nomx.test", resolver, relay), {
    kind: "hosts",
    hosts: [{ host: "127.0.0.4", port: 2600, servername: "nomx.test" }],
  });
  assert.equal((await routeDomain("nothing.test", resolver, relay)).kind, "fail");
  assert.equal((await routeDomain("no-such-domain.test", resolver, relay)).kind, "fail");
  assert.equal((await routeDomain("deadmx.test", resolver, relay)).kind, "fail");
});

test("DNS that does not answer defers instead of bouncing", async () => {
  const route = await routeDomain("multi.test", createUnavailableResolver(), relay);
  assert.equal(route.kind, "defer");
  assert.match((route as { reply: string }).reply, /^451 4\.4\.3/);
});

test("static routes and the smarthost win over MX", async () => {
  const routed = parseConfig({ RELAY_ROUTES: "multi.test=127.0.0.9:2700" }).relay;
  assert.deepEqual(await routeDomain("multi.test", resolver, routed), {
    kind: "hosts",
    hosts: [{ host: "127.0.0.9", port: 2700 }],
  });
  const smart = parseConfig({
    RELAYHOST: "smart.example:587",
    RELAYHOST_USER: "u",
    RELAYHOST_PASSWORD: "p",
  }).relay;
  assert.deepEqual(await routeDomain("anything.test", resolver, smart), {
    kind: "hosts",
    hosts: [{ host: "smart.example", port: 587, auth: { user: "u", pass: "p" } }],
  });
});
