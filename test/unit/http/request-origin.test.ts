// Same-origin recognition for state-changing requests: the browser's
// Sec-Fetch-Site when sent, else Origin against the Host the request was
// made to (a trusted proxy's X-Forwarded-Host/-Proto only with TRUST_PROXY),
// or PUBLIC_URL.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  isSameOriginRequest,
  requestOrigin,
  type OriginPolicy,
} from "../../../lib/http/request-origin.ts";

const newcomer: OriginPolicy = { trustProxy: false, publicOrigin: null };
const proxied: OriginPolicy = { trustProxy: true, publicOrigin: null };
const published: OriginPolicy = { trustProxy: false, publicOrigin: "https://mail.example.com" };

const headers = (h: Record<string, string>) => new Headers(h);

test("the origin is the Host the browser asked for, on any address", () => {
  for (const host of ["localhost:3000", "127.0.0.1:3000", "192.168.1.5:3000", "[::1]:3000"]) {
    assert.equal(requestOrigin(headers({ host }), newcomer), `http://${host}`);
  }
  assert.equal(
    requestOrigin(headers({ host: "Mail.Example.COM:80" }), newcomer),
    "http://mail.example.com",
  );
  assert.equal(requestOrigin(headers({}), newcomer), null);
  for (const host of ["evil.example/", "a b", "x@y", "host:port", ""]) {
    assert.equal(requestOrigin(headers({ host }), newcomer), null, host);
  }
});

test("X-Forwarded-Host/-Proto count only behind a trusted proxy, first hop first", () => {
  const forwarded = headers({
    host: "127.0.0.1:3000",
    "x-forwarded-host": "mail.example.com, inner.proxy",
    "x-forwarded-proto": "https, http",
  });
  assert.equal(requestOrigin(forwarded, proxied), "https://mail.example.com");
  assert.equal(requestOrigin(forwarded, newcomer), "http://127.0.0.1:3000");
  const hostOnly = headers({ host: "mail.example.com", "x-forwarded-proto": "https" });
  assert.equal(requestOrigin(hostOnly, proxied), "https://mail.example.com");
});

test("Sec-Fetch-Site decides when the browser sends it", () => {
  const at = (site: string, origin = "http://localhost:3000") =>
    isSameOriginRequest(
      headers({ host: "localhost:3000", origin, "sec-fetch-site": site }),
      newcomer,
    );
  assert.equal(at("same-origin"), true);
  assert.equal(at("none"), true);
  // Another port of localhost is the same site: it gets the SameSite=Lax cookie.
  assert.equal(at("same-site", "http://localhost:4000"), false);
  assert.equal(at("cross-site", "https://evil.example"), false);
  // Behind a proxy that rewrites Host, the browser still knows it is same-origin.
  assert.equal(
    isSameOriginRequest(
      headers({
        host: "127.0.0.1:3000",
        origin: "https://mail.example.com",
        "sec-fetch-site": "same-origin",
      }),
      newcomer,
    ),
    true,
  );
});

test("without Sec-Fetch-Site, Origin must be the request's own or PUBLIC_URL's", () => {
  const check = (h: Record<string, string>, policy = newcomer) =>
    isSameOriginRequest(headers(h), policy);
  for (const host of ["localhost:3000", "127.0.0.1:3000", "192.168.1.5:3000"]) {
    assert.equal(check({ host, origin: `http://${host}` }), true, host);
    assert.equal(check({ host, origin: "http://evil.example" }), false, host);
  }
  assert.equal(check({ host: "localhost:3000", origin: "http://localhost:4000" }), false);
  assert.equal(check({ host: "localhost:3000", origin: "https://localhost:3000" }), false);
  assert.equal(check({ host: "localhost:3000", origin: "null" }), false);
  // Not sent by a web page at all (curl, a script): no other site made it.
  assert.equal(check({ host: "localhost:3000" }), true);

  // A forged X-Forwarded-Host does not make a foreign Origin ours...
  const forged = {
    host: "localhost:3000",
    origin: "http://evil.example",
    "x-forwarded-host": "evil.example",
  };
  assert.equal(check(forged), false);
  // ...but a trusted proxy's does make the browser's Origin ours.
  const viaProxy = {
    host: "127.0.0.1:3000",
    origin: "https://mail.example.com",
    "x-forwarded-host": "mail.example.com",
    "x-forwarded-proto": "https",
  };
  assert.equal(check(viaProxy, proxied), true);
  assert.equal(check(viaProxy, newcomer), false);
  // PUBLIC_URL's origin is ours even when a proxy hides the Host.
  assert.equal(
    check({ host: "127.0.0.1:3000", origin: "https://mail.example.com" }, published),
    true,
  );
  assert.equal(
    check({ host: "127.0.0.1:3000", origin: "https://other.example.com" }, published),
    false,
  );
});
